import * as assert from 'assert';
import { readFileSync } from 'fs';
import * as path from 'path';

interface Manifest {
  contributes: {
    commands: { command: string; title: string; category: string }[];
    configuration: { properties: Record<string, unknown> };
  };
  capabilities: { untrustedWorkspaces: { supported: string; restrictedConfigurations: string[] } };
}

const root = path.resolve(__dirname, '../../..');
const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as Manifest;

describe('package.json contributions', () => {
  it('puts every command in the PyML category', () => {
    for (const c of manifest.contributes.commands) assert.strictEqual(c.category, 'PyML', c.command);
  });

  it('restricts only settings that exist', () => {
    const props = manifest.contributes.configuration.properties;
    for (const key of manifest.capabilities.untrustedWorkspaces.restrictedConfigurations) {
      assert.ok(key in props, `${key} is restricted but not declared`);
    }
  });
});

/**
 * The shared manifest fixtures (test/fixtures/shared/manifests.json) against the extension's reader
 * of pyml.yaml: the runtime reads the same table in test/runtime/test_shared_fixtures.py, so the
 * two cannot drift apart.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { parseManifest, type ManifestProblem } from '../../../src/model/manifest';

const REPO = path.resolve(__dirname, '..', '..', '..', '..');

interface Case {
  readonly name: string;
  readonly yaml: readonly string[];
  readonly manifest?: { name: string; version: string; kind: string; model: string; inputs: unknown[]; outputs: unknown[] };
  readonly error?: { key: string };
}

const fixtures = JSON.parse(fs.readFileSync(path.join(REPO, 'test', 'fixtures', 'shared', 'manifests.json'), 'utf8')) as { manifests: Case[] };

/** A problem's key as the runtime names it: `inputs[1].dtype`; a missing key is named itself. */
function keyOf(p: ManifestProblem): string {
  const missing = /missing the required key '([^']+)'/.exec(p.message)?.[1];
  const parts = missing === undefined ? p.path : [...p.path, missing];
  return parts.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join('');
}

describe('shared manifest fixtures (test/fixtures/shared/manifests.json), the extension side', () => {
  for (const c of fixtures.manifests) {
    it(c.name, () => {
      const { manifest, problems } = parseManifest(`${c.yaml.join('\n')}\n`);
      if (c.error) {
        assert.strictEqual(manifest, undefined, `${c.name}: read, expected refused for '${c.error.key}'`);
        // The extension may point deeper (`inputs[0].shape[1]` for `inputs[0].shape`).
        const key = problems[0] ? keyOf(problems[0]) : '';
        assert.ok(key === c.error.key || key.startsWith(`${c.error.key}[`) || key.startsWith(`${c.error.key}.`), `${c.name}: refused for '${key}', expected '${c.error.key}' (${problems.map((p) => p.message).join('; ')})`);
        return;
      }
      assert.deepStrictEqual(problems, []);
      assert.ok(manifest && c.manifest);
      assert.deepStrictEqual(
        {
          name: manifest.name,
          version: manifest.version,
          kind: manifest.kind,
          model: `${manifest.module}:${manifest.className}`,
          inputs: manifest.inputs.map((f) => [f.name, f.datatype, [...(f.shape ?? [-1])]]),
          outputs: manifest.outputs.map((f) => [f.name, f.datatype, [...(f.shape ?? [-1])]]),
        },
        c.manifest,
      );
    });
  }
});

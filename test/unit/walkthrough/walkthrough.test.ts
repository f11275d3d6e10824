import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { MODEL_CREATED_CONTEXT } from '../../../src/scaffold/types';

interface Step {
  id: string;
  title: string;
  description: string;
  media: { markdown?: string };
  completionEvents?: string[];
}

const root = path.resolve(__dirname, '..', '..', '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  icon: string;
  contributes: {
    commands: { command: string }[];
    walkthroughs: { id: string; steps: Step[] }[];
    viewsContainers: { activitybar: { icon: string }[] };
  };
};
const commands = new Set(pkg.contributes.commands.map((c) => c.command));
/** VS Code's own commands a step may link to. */
const WORKBENCH = /^workbench\./;

describe('walkthrough and icons', () => {
  const steps = pkg.contributes.walkthroughs[0]?.steps ?? [];

  it('walks from a new model to a test prediction', () => {
    assert.deepStrictEqual(steps.map((s) => s.id), ['newModel', 'edit', 'build', 'run', 'test']);
  });

  for (const step of steps) {
    it(`step ${step.id}: markdown exists, links and completion events point at real commands and context keys`, () => {
      const md = step.media.markdown;
      assert.ok(md, 'no markdown media');
      assert.ok(fs.readFileSync(path.join(root, md), 'utf8').startsWith('# '), `${md} has no heading`);
      const links = [...step.description.matchAll(/\(command:([\w.]+)\)/g)].map((m) => m[1] ?? '');
      assert.ok(links.length > 0, 'the step links no command');
      for (const c of links) assert.ok(commands.has(c) || WORKBENCH.test(c), `links unknown command ${c}`);
      const events = step.completionEvents ?? [];
      assert.ok(events.length > 0, 'no completion event');
      for (const e of events) {
        const [kind = '', what = ''] = e.split(/:(.*)/s);
        if (kind === 'onCommand') assert.ok(commands.has(what) || WORKBENCH.test(what), `completes on unknown command ${what}`);
        else if (kind === 'onContext') assert.strictEqual(what, MODEL_CREATED_CONTEXT, `completes on a context key nothing sets: ${what}`);
        else assert.fail(`unexpected completion event ${e}`);
      }
    });
  }

  it('the New Model step completes when a model was created, not when the wizard was merely opened', () => {
    assert.deepStrictEqual(steps.find((s) => s.id === 'newModel')?.completionEvents, [`onContext:${MODEL_CREATED_CONTEXT}`]);
    const source = fs.readFileSync(path.join(root, 'src', 'commands', 'newModel.ts'), 'utf8');
    assert.match(source, /executeCommand\('setContext', MODEL_CREATED_CONTEXT, true\)/);
  });

  it('icons: the extension and view container icons exist; tree and panel icons come in light and dark', () => {
    assert.ok(fs.existsSync(path.join(root, pkg.icon)));
    for (const c of pkg.contributes.viewsContainers.activitybar) assert.ok(fs.existsSync(path.join(root, c.icon)), c.icon);
    const light = fs.readdirSync(path.join(root, 'media', 'icons', 'light')).sort();
    const dark = fs.readdirSync(path.join(root, 'media', 'icons', 'dark')).sort();
    assert.deepStrictEqual(light, dark);
    for (const name of ['model.svg', 'image.svg', 'running.svg', 'stopped.svg', 'failed.svg', 'panel.svg', 'sample.svg']) {
      assert.ok(light.includes(name), `media/icons/*/${name} is missing`);
    }
    for (const theme of ['light', 'dark']) {
      for (const name of light) {
        const svg = fs.readFileSync(path.join(root, 'media', 'icons', theme, name), 'utf8');
        assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="16" height="16" viewBox="0 0 16 16"[^>]*>[\s\S]*<\/svg>\n$/, `${theme}/${name}`);
        assert.strictEqual((svg.match(/</g) ?? []).length, (svg.match(/>/g) ?? []).length, `${theme}/${name} has unbalanced tags`);
      }
    }
  });
});

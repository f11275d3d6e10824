import * as assert from 'assert';
import { parser } from '@lezer/python';
import { parseManifest } from '../../../src/model/manifest';
import { REFERENCE_NAMES, SAMPLE_FILE, renderTemplate, sourceHash, templateKinds } from '../../../src/scaffold/render';
import { checkSample, parseSample } from '../../../src/scaffold/sample';
import { TEMPLATES } from '../../../src/scaffold/templates/index';
import assets from '../../../src/scaffold/generated/assets.json';
import type { ScaffoldFile } from '../../../src/scaffold/types';

const NAME = 'Churn predictor';

function text(files: readonly ScaffoldFile[], path: string): string {
  const f = files.find((x) => x.path === path);
  assert.ok(f, `no ${path} among ${files.map((x) => x.path).join(', ')}`);
  assert.strictEqual(typeof f.contents, 'string', `${path} should be text`);
  return f.contents as string;
}

/** The first syntax error of a Python source as "line:column", or undefined. */
function pythonSyntaxError(source: string): string | undefined {
  let at: number | undefined;
  parser.parse(source).iterate({
    enter: (node) => {
      if (at === undefined && node.type.isError) at = node.from;
    },
  });
  if (at === undefined) return undefined;
  const before = source.slice(0, at).split('\n');
  return `${before.length}:${(before[before.length - 1] ?? '').length + 1}`;
}

describe('scaffold: renderTemplate', () => {
  const pairs = templateKinds();

  it('covers plain numpy, scikit-learn and PyTorch, each for DataFrame and tensor models', () => {
    assert.deepStrictEqual(pairs.map((p) => `${p.template}/${p.kind}`), [
      'numpy/dataframe', 'numpy/tensor', 'sklearn/dataframe', 'sklearn/tensor', 'torch/dataframe', 'torch/tensor',
    ]);
  });

  it('the Python syntax check finds errors', () => {
    assert.strictEqual(pythonSyntaxError('def f(x):\n    return x\n'), undefined);
    assert.strictEqual(pythonSyntaxError('def f(x:\n    return x\n'), '2:5');
  });

  it('refuses an invalid name with the reason', () => {
    assert.throws(() => renderTemplate('dataframe', 'numpy', '9lives'), /must start with a letter/);
  });

  it('is pure: the same arguments give the same files', () => {
    assert.deepStrictEqual(renderTemplate('tensor', 'torch', NAME), renderTemplate('tensor', 'torch', NAME));
  });

  for (const { template, kind } of pairs) {
    describe(`${template}/${kind}`, () => {
      const files = renderTemplate(kind, template, NAME);
      const paths = files.map((f) => f.path);

      it('writes the manifest, model, training script, requirements, packages, README, data and a sample', () => {
        for (const p of ['pyml.yaml', 'model.py', 'train.py', 'requirements.txt', 'packages.txt', 'README.md', SAMPLE_FILE]) {
          assert.ok(paths.includes(p), `missing ${p}`);
        }
        assert.ok(paths.some((p) => p.startsWith('data/')), 'no data/ file');
        assert.strictEqual(new Set(paths).size, paths.length, 'duplicate paths');
        for (const p of paths) assert.match(p, /^[a-z0-9_]+(\/[a-z0-9_]+)*\.[a-z]+$/i, `odd path ${p}`);
      });

      it('has a manifest that parseManifest accepts, naming the class of model.py and the kind', () => {
        const parsed = parseManifest(text(files, 'pyml.yaml'));
        assert.deepStrictEqual(parsed.problems, []);
        const m = parsed.manifest;
        assert.ok(m);
        assert.strictEqual(m.name, 'churn-predictor');
        assert.strictEqual(m.kind, kind);
        assert.strictEqual(`${m.module}:${m.className}`, 'model:ChurnPredictorModel');
        assert.strictEqual(m.runtime.baseImage, undefined, 'a template must not fix the base image');
        const base = kind === 'dataframe' ? 'DataFrameModel' : 'TensorModel';
        assert.match(text(files, 'model.py'), new RegExp(`^class ChurnPredictorModel\\(${base}\\):$`, 'm'));
        if (kind === 'tensor') for (const f of [...m.inputs, ...m.outputs]) assert.ok(f.shape, `${f.name} has no shape`);
      });

      it('writes Python without syntax errors', () => {
        for (const f of files.filter((x) => x.path.endsWith('.py'))) {
          assert.strictEqual(pythonSyntaxError(f.contents as string), undefined, `${f.path} has a syntax error`);
        }
      });

      it('loads only data files it ships, and names its frameworks in requirements.txt', () => {
        const model = text(files, 'model.py');
        const loaded = [...model.matchAll(/self\.data_path\("([^"]+)"\)/g)].map((m) => `data/${m[1] ?? ''}`);
        assert.ok(loaded.length > 0, 'model.py loads nothing from data/');
        for (const p of loaded) assert.ok(paths.includes(p), `model.py loads ${p}, which the template does not write`);
        const requirements = text(files, 'requirements.txt').split('\n').filter((l) => l.trim() && !l.startsWith('#'));
        const imports = new Set([...files.filter((f) => f.path.endsWith('.py')).map((f) => f.contents as string).join('\n')
          .matchAll(/^(?:from|import) (\w+)/gm)].map((m) => m[1]));
        const pip: Record<string, string> = { numpy: 'numpy', pandas: 'pandas', sklearn: 'scikit-learn', torch: 'torch' };
        for (const [module, dist] of Object.entries(pip)) {
          const listed = requirements.some((r) => r.startsWith(`${dist}>=`));
          assert.strictEqual(listed, imports.has(module), `${module} imported: ${imports.has(module)}, ${dist} listed: ${listed}`);
        }
        for (const r of requirements) assert.match(r, /^[a-z-]+>=[0-9.]+$/, `requirement '${r}' should be a lower bound only`);
        assert.ok(!requirements.some((r) => /^torch>=1\.1[3-9]/.test(r)), "Debian's torch 1.13.0a0 must satisfy the torch bound");
      });

      it('has a sample whose inputs and expected outputs fit the manifest', () => {
        const manifest = parseManifest(text(files, 'pyml.yaml')).manifest;
        assert.ok(manifest);
        const sample = parseSample(text(files, SAMPLE_FILE));
        assert.ok(sample.expected, 'the sample has no expected output');
        assert.deepStrictEqual(checkSample(manifest, sample), []);
        assert.deepStrictEqual(sample.inputs, TEMPLATES[template].kinds[kind]?.sampleInputs);
      });

      it('ships data generated from the current sources (else: node out/src/scaffold/gen/generate.js)', () => {
        const stored = (assets.templates as Record<string, { sourceHash: string } | undefined>)[`${template}/${kind}`];
        assert.ok(stored, `no generated data for ${template}/${kind}`);
        assert.strictEqual(stored.sourceHash, sourceHash(kind, template), 'generated/assets.json is out of date');
      });

      it('renders names only where they belong', () => {
        const reference = renderTemplate(kind, template, REFERENCE_NAMES);
        for (const f of reference) {
          if (typeof f.contents === 'string') assert.ok(!f.contents.includes('churn-predictor'));
        }
        assert.ok(text(files, 'README.md').startsWith('# churn-predictor\n'));
      });
    });
  }
});

import * as assert from 'assert';
import { DockerfileError, generateDockerfile, quote, serveArgs, type DockerfileInput } from '../../../src/container/dockerfile';
import { imageTag, manifestHash, schemaJson } from '../../../src/container/labels';
import { parseAptPackages } from '../../../src/container/dependencyFiles';
import { parseManifest, type Manifest } from '../../../src/model/manifest';

function manifest(extra = ''): Manifest {
  const parsed = parseManifest(`name: churn
version: 0.1.0
model: model:ChurnModel
kind: dataframe
inputs:
  - {name: tenure, dtype: int64}
  - {name: plan, dtype: string}
outputs:
  - {name: churn_probability, dtype: float64}
${extra}`);
  assert.ok(parsed.manifest, JSON.stringify(parsed.problems));
  return parsed.manifest;
}

function input(over: Partial<DockerfileInput> = {}): DockerfileInput {
  const m = over.manifest ?? manifest();
  return {
    manifest: m,
    baseImage: 'python:3.11-slim',
    manifestHash: manifestHash(m),
    aptPackages: [],
    modelRequirements: true,
    runtimeRequirements: true,
    maxMessageMB: 512,
    ...over,
  };
}

const instructions = (text: string): string[] =>
  text
    .replace(/ \\\n\s+/g, ' ')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'));

describe('generateDockerfile', () => {
  it('orders layers from the least to the most often changed', () => {
    const { steps } = generateDockerfile(input({ aptPackages: parseAptPackages('libgomp1\n') }));
    assert.deepStrictEqual(
      steps.map((s) => s.role),
      [
        'base',
        'environment',
        'user',
        'apt',
        'runtime-requirements-copy', // runtime/pyml/satisfied.py
        'runtime-requirements-copy',
        'runtime-requirements',
        'model-requirements-copy',
        'model-requirements',
        'runtime',
        'command',
        'command',
        'command',
        'command',
        'model',
        'metadata',
      ],
    );
  });

  it('has one step per instruction, in order', () => {
    const generated = generateDockerfile(input({ aptPackages: parseAptPackages('curl git\n') }));
    const lines = instructions(generated.text);
    assert.strictEqual(lines.length, generated.steps.length);
    generated.steps.forEach((s, i) => {
      assert.ok(lines[i]?.startsWith(s.instruction.split(' ')[0] ?? ''), `${lines[i] ?? ''} / ${s.instruction}`);
    });
  });

  it('never calls pip for empty requirements', () => {
    const { text, steps } = generateDockerfile(input({ modelRequirements: false, runtimeRequirements: false }));
    assert.ok(!text.includes('pip install'));
    assert.ok(!steps.some((s) => s.role.endsWith('requirements')));
    assert.ok(!text.includes('apt-get'), 'no apt step without packages.txt');
  });

  it('uses python3 and lets pip install into an externally managed Python (PEP 668)', () => {
    const { text } = generateDockerfile(input());
    assert.match(text, /PIP_BREAK_SYSTEM_PACKAGES=1/);
    assert.match(text, /PIP_DISABLE_PIP_VERSION_CHECK=1/);
    assert.match(text, /python3 -m pip install -r \/opt\/pyml\/runtime-requirements\.txt/);
    assert.match(text, /python3 -m pip install -r \/opt\/pyml\/model-requirements\.txt/);
    // requirements the base image already has skip pip (and its index) altogether
    assert.match(text, /RUN python3 \/opt\/pyml\/satisfied\.py \/opt\/pyml\/model-requirements\.txt \|\| \{/);
    assert.ok(!/(^|[\s;&|{(])python(\s|$)/m.test(text.replace(/^#.*$/gm, '')), 'no bare `python` command (Debian has only python3)');
  });

  it('runs as a non-root user and serves the socket by default', () => {
    const { text } = generateDockerfile(input());
    assert.match(text, /^USER 10001:10001$/m);
    assert.match(text, /useradd --uid 10001/);
    assert.match(text, /^ENTRYPOINT \["python3", "-m", "pyml"\]$/m);
    assert.match(text, /^CMD \["serve","\/opt\/pyml\/model","--socket","\/run\/pyml\/model\.sock","--max-message-mb","512"\]$/m);
  });

  it('installs packages.txt with apt and cleans the lists', () => {
    const { text } = generateDockerfile(input({ aptPackages: parseAptPackages('# build tools\nlibgomp1\ncurl=7.88.1-10 git\n') }));
    assert.match(text, /apt-get install -y --no-install-recommends libgomp1 curl=7\.88\.1-10 git/);
    assert.match(text, /rm -rf \/var\/lib\/apt\/lists\/\*/);
  });

  it('refuses a packages.txt entry that is not a package name (no shell injection)', () => {
    assert.throws(() => generateDockerfile(input({ aptPackages: parseAptPackages('ok\ncurl;rm -rf /\n') })), (err: Error) => {
      assert.ok(err instanceof DockerfileError);
      assert.match(err.message, /packages\.txt line 2/);
      return true;
    });
  });

  it('labels the image with name, version, kind, manifest hash and schema', () => {
    const m = manifest();
    const { text } = generateDockerfile(input({ manifest: m }));
    assert.match(text, /dev\.pyml\.name="churn"/);
    assert.match(text, /dev\.pyml\.version="0\.1\.0"/);
    assert.match(text, /dev\.pyml\.kind="dataframe"/);
    assert.match(text, new RegExp(`dev\\.pyml\\.manifest-hash="${manifestHash(m)}"`));
    assert.ok(text.includes(`dev.pyml.schema=${quote(schemaJson(m))}`));
  });

  it('puts runtime.env into the image after the model code', () => {
    const { text, steps } = generateDockerfile(input({ manifest: manifest('runtime: {env: {OMP_NUM_THREADS: "1", GREETING: "say \\"hi\\" $HOME"}}') }));
    assert.match(text, /ENV OMP_NUM_THREADS="1" \\\n\s+GREETING="say \\"hi\\" \\\$HOME"/);
    const envStep = steps.findIndex((s) => s.instruction.startsWith('ENV OMP'));
    assert.ok(envStep > steps.findIndex((s) => s.role === 'model'));
  });

  it('puts only the model code and its labels after the model layer', () => {
    const { steps } = generateDockerfile(input({ extraLabels: { 'dev.pyml.folder': '/work/churn' } }));
    const model = steps.findIndex((s) => s.role === 'model');
    assert.deepStrictEqual(steps.slice(model + 1).map((s) => s.role), ['metadata']);
    assert.match(steps[model + 1]?.instruction ?? '', /^LABEL /);
  });

  it('adds build-only labels to the LABEL instruction', () => {
    const { text } = generateDockerfile(input({ extraLabels: { 'dev.pyml.folder': '/work/my "churn"' } }));
    assert.match(text, /dev\.pyml\.folder="\/work\/my \\"churn\\""/);
    assert.ok(!generateDockerfile(input()).text.includes('dev.pyml.folder'));
  });

  it('keeps the same text for the same inputs (the cache key of every layer)', () => {
    assert.strictEqual(generateDockerfile(input()).text, generateDockerfile(input()).text);
  });

  it('rejects an image reference with spaces', () => {
    assert.throws(() => generateDockerfile(input({ baseImage: 'python 3' })), DockerfileError);
  });
});

describe('quote', () => {
  it('escapes backslashes, quotes and $ and flattens newlines', () => {
    assert.strictEqual(quote('a"b\\c$d\ne'), '"a\\"b\\\\c\\$d e"');
  });
});

describe('serveArgs', () => {
  it('binds all interfaces inside the container for a published TCP port', () => {
    assert.deepStrictEqual(serveArgs({ port: 8001, maxMessageMB: 64 }), ['serve', '/opt/pyml/model', '--port', '8001', '--host', '0.0.0.0', '--max-message-mb', '64']);
  });
});

describe('labels', () => {
  it('makes a valid image tag from any name and version', () => {
    assert.strictEqual(imageTag({ name: 'churn', version: '0.1.0' }), 'pyml/churn:0.1.0');
    assert.strictEqual(imageTag({ name: 'My_Model', version: '1.0.0+build.5' }), 'pyml/my_model:1.0.0-build.5');
  });

  it('hashes what the manifest means, not how it is written', () => {
    const a = manifest();
    const b = parseManifest(`# a comment
name: churn
kind: dataframe
version: 0.1.0
model: model:ChurnModel
inputs: [{name: tenure, dtype: int64}, {name: plan, dtype: string}]
outputs: [{name: churn_probability, dtype: float64}]
`).manifest;
    assert.ok(b);
    assert.strictEqual(manifestHash(a), manifestHash(b));
    assert.notStrictEqual(manifestHash(a), manifestHash(manifest('thread_safe: true')));
  });
});

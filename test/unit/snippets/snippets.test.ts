import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parser } from '@lezer/python';
import { parseManifest } from '../../../src/model/manifest';
import { analyze } from '../../../src/server/core/analyze';
import { DiskFileSystem } from '../../../src/server/core/fs';
import { expandSnippet } from './expand';

interface Snippet {
  prefix: string | string[];
  body: string | string[];
  description: string;
}

const root = path.resolve(__dirname, '..', '..', '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  contributes: { snippets: { language: string; path: string }[] };
};

function load(file: string): Record<string, Snippet> {
  return JSON.parse(fs.readFileSync(path.join(root, file), 'utf8')) as Record<string, Snippet>;
}

function body(s: Snippet | undefined): string {
  assert.ok(s, 'no such snippet');
  return Array.isArray(s.body) ? s.body.join('\n') : s.body;
}

function hasPythonSyntaxError(source: string): boolean {
  let found = false;
  parser.parse(source).iterate({
    enter: (n) => {
      if (n.type.isError) found = true;
    },
  });
  return found;
}

/** Writes a model folder and returns every finding of the PyML analysis over its files. */
function findings(files: Record<string, string>): string[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pyml-snippet-'));
  try {
    for (const [rel, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      fs.writeFileSync(path.join(dir, rel), text);
    }
    return Object.keys(files)
      .filter((rel) => !rel.startsWith('data/'))
      .flatMap((rel) => analyze(path.join(dir, rel), new DiskFileSystem()).findings.map((f) => `${rel}: ${f.code} ${f.message}`));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('snippets', () => {
  const contributed = pkg.contributes.snippets;

  it('package.json contributes python and yaml snippet files that exist and are valid JSON', () => {
    assert.deepStrictEqual(contributed.map((s) => s.language).sort(), ['python', 'yaml']);
    for (const s of contributed) {
      const snippets = load(s.path);
      const names = Object.keys(snippets);
      assert.ok(names.length > 0, `${s.path} has no snippets`);
      for (const name of names) {
        const snippet = snippets[name];
        assert.ok(snippet, name);
        const prefixes = Array.isArray(snippet.prefix) ? snippet.prefix : [snippet.prefix];
        assert.ok(prefixes.every((p) => p.startsWith('pyml-')), `${name}: prefixes start with pyml-`);
        assert.ok(snippet.description.length > 10, `${name} has no description`);
        assert.doesNotThrow(() => expandSnippet(body(snippet)), `${name} has a broken placeholder`);
      }
    }
  });

  it('prefixes are unique across languages', () => {
    const all = contributed.flatMap((s) => Object.values(load(s.path)).flatMap((x) => (Array.isArray(x.prefix) ? x.prefix : [x.prefix])));
    assert.strictEqual(new Set(all).size, all.length);
  });

  it('every Python snippet expands to code without syntax errors', () => {
    for (const [name, s] of Object.entries(load('snippets/python.code-snippets'))) {
      const text = body(s);
      // Method and statement snippets are parsed where they belong: inside a class / a method.
      const wrapped = text.startsWith('def ') ? `class C:\n    ${expandSnippet(text).replace(/\n/g, '\n    ')}\n`
        : text.startsWith('import') ? expandSnippet(text)
          : `class C:\n    def __init__(self):\n        ${expandSnippet(text).replace(/\n/g, '\n        ')}\n`;
      assert.strictEqual(hasPythonSyntaxError(wrapped), false, `${name} expands to invalid Python:\n${wrapped}`);
    }
  });

  it('every manifest snippet expands to a manifest that parseManifest accepts', () => {
    for (const [name, s] of Object.entries(load('snippets/yaml.code-snippets'))) {
      if (!name.includes('manifest')) continue;
      assert.deepStrictEqual(parseManifest(expandSnippet(body(s))).problems, [], name);
    }
  });

  it('the DataFrame snippets together give a model folder with zero PyML diagnostics', () => {
    const py = load('snippets/python.code-snippets');
    const yaml = load('snippets/yaml.code-snippets');
    assert.deepStrictEqual(findings({
      'pyml.yaml': expandSnippet(body(yaml['PyML DataFrame manifest'])),
      'model.py': expandSnippet(body(py['PyML DataFrameModel'])),
      'requirements.txt': 'numpy\npandas\n',
      'data/params.json': '{"scale": 2.0}\n',
    }), []);
  });

  it('the tensor snippets together give a model folder with zero PyML diagnostics', () => {
    const py = load('snippets/python.code-snippets');
    const yaml = load('snippets/yaml.code-snippets');
    assert.deepStrictEqual(findings({
      'pyml.yaml': expandSnippet(body(yaml['PyML tensor manifest'])),
      'model.py': expandSnippet(body(py['PyML TensorModel'])),
      'requirements.txt': 'numpy\n',
      'data/weights.npz': '',
    }), []);
  });

  it('the expander resolves defaults, choices, mirrors and escapes', () => {
    assert.strictEqual(expandSnippet('${1:a${2:b}} $1 $2 ${3|x,y|} \\$4 $0'), 'ab ab b x $4 ');
    assert.throws(() => expandSnippet('${1:a'), /unclosed/);
  });
});

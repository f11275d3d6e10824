import type { Tree } from '@lezer/common';
import * as assert from 'assert';
import { canFallThrough } from '../../../src/server/core/python/flow';
import { parsePython } from '../../../src/server/core/python/parse';
import { decodeStringToken } from '../../../src/server/core/python/strings';

/** Every node of a tree as name@from-to, to compare trees. */
function shape(tree: Tree): string[] {
  const out: string[] = [];
  tree.iterate({
    enter: (n) => {
      out.push(`${n.name}@${n.from}-${n.to}`);
    },
  });
  return out;
}

describe('python outline', () => {
  it('reads imports: dotted, aliased, relative, guarded, inside functions', () => {
    const mod = parsePython(`import os.path, numpy as np
from .. import sibling
from ...pkg.mod import (a as b, c)
from pyml import *
try:
    import ujson
except (ImportError, ValueError):
    ujson = None
try:
    import orjson
except KeyError:
    pass
if TYPE_CHECKING:
    import polars

def f():
    import torch
`);
    const seen = mod.imports.map((i) => `${'.'.repeat(i.level)}${i.module}${i.guarded ? ' guarded' : ''}${i.moduleLevel ? '' : ' local'}`);
    assert.deepStrictEqual(seen, ['os.path', 'numpy', '..', '...pkg.mod', 'pyml', 'ujson guarded', 'orjson', 'polars guarded', 'torch local']);
    assert.deepStrictEqual(mod.bindings.get('np'), { kind: 'module', module: 'numpy', level: 0 });
    assert.deepStrictEqual(mod.bindings.get('os'), { kind: 'module', module: 'os', level: 0 });
    assert.deepStrictEqual(mod.bindings.get('b'), { kind: 'from', module: 'pkg.mod', level: 3, name: 'a' });
    assert.deepStrictEqual(mod.starImports, ['pyml']);
  });

  it('reads classes, bases, methods, decorators and parameters', () => {
    const mod = parsePython(`class M(Base, pyml.DataFrameModel, metaclass=ABCMeta):
    predict_alias = other

    @functools.lru_cache(maxsize=1)
    async def predict(self, df: pd.DataFrame, /, *args, k: int = 1, **kw) -> pd.DataFrame:
        return df
`);
    const cls = mod.classes[0];
    assert.ok(cls);
    assert.deepStrictEqual(cls.bases.map((b) => mod.text.slice(b.from, b.to)), ['Base', 'pyml.DataFrameModel']);
    assert.ok(cls.attributes.has('predict_alias'));
    const fn = cls.methods.get('predict');
    assert.ok(fn?.asyncNode);
    assert.deepStrictEqual(fn.decorators.map((d) => d.name), ['functools.lru_cache']);
    assert.deepStrictEqual(
      fn.params.map((p) => `${p.kind}:${p.name}${p.hasDefault ? '=' : ''}${p.annotation ? ':' + mod.text.slice(p.annotation.from, p.annotation.to) : ''}`),
      ['positional:self', 'positional:df:pd.DataFrame', 'varargs:args', 'keyword:k=:int', 'varkw:kw'],
    );
    assert.strictEqual(fn.returns && mod.text.slice(fn.returns.from, fn.returns.to), 'pd.DataFrame');
  });

  it('collects `# pyml: ignore` comments', () => {
    const mod = parsePython('import cv2  # pyml: ignore[PYML200]\nimport x  # pyml: ignore\n');
    assert.deepStrictEqual([...(mod.suppressions.get(0) as Set<string>)], ['PYML200']);
    assert.strictEqual(mod.suppressions.get(1), 'all');
  });

  it('reparses incrementally to the same tree as a fresh parse', () => {
    let text = 'import pandas as pd\n\n\nclass M(DataFrameModel):\n    def predict(self, df):\n        return df["a"]\n'.repeat(40);
    let mod = parsePython(text);
    const edits: [string, string][] = [['return df["a"]', 'return df["ab"]'], ['class M(', 'class Mx('], ['    def predict', '    @staticmethod\n    def predict'], ['df["a', 'df[']];
    for (const [from, to] of edits) {
      text = text.replace(from, to);
      mod = parsePython(text, mod);
      assert.deepStrictEqual(shape(mod.tree), shape(parsePython(text).tree));
    }
  });

  it('decodes string literals', () => {
    assert.strictEqual(decodeStringToken('"a\\tb"'), 'a\tb');
    assert.strictEqual(decodeStringToken("r'a\\tb'"), 'a\\tb');
    assert.strictEqual(decodeStringToken('"""x"y"""'), 'x"y');
    assert.strictEqual(decodeStringToken("'\\x41\\u00e9\\101'"), 'AéA');
    assert.strictEqual(decodeStringToken('"unterminated'), 'unterminated');
    assert.strictEqual(decodeStringToken('f"{x}"'), undefined);
  });
});

describe('python control flow: can predict fall off its end?', () => {
  const falls = (body: string): boolean => {
    const mod = parsePython(`def predict(self, df):\n${body.replace(/^/gm, '    ')}\n`);
    const fn = mod.tree.topNode.getChild('FunctionDefinition');
    const b = fn?.getChild('Body');
    assert.ok(b);
    return canFallThrough(mod, b);
  };

  const cases: [string, boolean][] = [
    ['return df', false],
    ['x = 1', true],
    ['if df.empty:\n    return df', true],
    ['if df.empty:\n    return df\nelse:\n    raise ValueError()', false],
    ['if a:\n    return 1\nelif b:\n    return 2', true],
    ['if a:\n    return 1\nelif b:\n    return 2\nelse:\n    return 3', false],
    ['try:\n    return f(df)\nexcept KeyError:\n    pass', true],
    ['try:\n    return f(df)\nexcept KeyError:\n    raise', false],
    ['try:\n    x = 1\nfinally:\n    return x', false],
    ['with lock:\n    return df', false],
    ['while True:\n    return df', false],
    ['while True:\n    if x:\n        break\n    return df', true],
    ['while True:\n    for i in x:\n        break\n    return df', false],
    ['for row in df:\n    return row', true],
    ['match df:\n    case 1:\n        return 1', true],
    ['match df:\n    case 1:\n        return 1\n    case _:\n        return 2', false],
    ['sys.exit(1)', false],
    ['...', true],
  ];
  for (const [body, expected] of cases) {
    it(`${expected ? 'falls through' : 'always returns'}: ${body.replace(/\n/g, ' ⏎ ')}`, () => {
      assert.strictEqual(falls(body), expected);
    });
  }
});

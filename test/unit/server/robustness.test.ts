import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { analyze } from '../../../src/server/core/analyze';
import { codeLenses } from '../../../src/server/core/features/codeLens';
import { completionsAt } from '../../../src/server/core/features/completion';
import { hoverAt } from '../../../src/server/core/features/hover';
import { DiskFileSystem } from '../../../src/server/core/fs';
import { LineIndex } from '../../../src/server/core/text';
import { FIXTURES } from './helpers';

/** A small deterministic PRNG, so a failure reproduces. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const JUNK = ['(', ')', ':', '"', "'", '[', ']', '{', '}', '\n', '    ', 'def ', 'class ', 'return', '@', '\\', 'import ', ',', '=', '#', '"""', '\t'];

/** Runs every entry point on one text of `file`; any exception fails the test. */
function exercise(file: string, text: string, random: () => number): void {
  const files = new DiskFileSystem((f) => (f === file ? text : undefined));
  const analysis = analyze(file, files, [], (rule, err) => {
    throw new Error(`rule ${rule} threw: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  });
  const lines = new LineIndex(text);
  for (let i = 0; i < 3; i++) {
    const p = lines.position(Math.floor(random() * (text.length + 1)));
    hoverAt(analysis, p);
    completionsAt(analysis, p);
  }
  codeLenses(analysis);
  for (const f of analysis.findings) assert.ok(f.range.start.line >= 0 && f.range.end.line < Math.max(1, lines.lineCount) + 1);
}

describe('half-typed and broken input never crashes the analysis', function () {
  this.timeout(120_000);
  const folder = path.join(FIXTURES, 'PYML220', 'good');
  const model = path.join(folder, 'model.py');
  const manifest = path.join(folder, 'pyml.yaml');
  const requirements = path.join(FIXTURES, 'PYML300', 'good', 'requirements.txt');
  const sources: [string, string][] = [
    [model, fs.readFileSync(model, 'utf8')],
    [manifest, fs.readFileSync(manifest, 'utf8')],
    [requirements, fs.readFileSync(requirements, 'utf8')],
  ];

  for (const [file, text] of sources) {
    it(`${path.basename(file)} cut off at every other character, as while typing it from the top`, () => {
      const random = rng(1);
      for (let n = 0; n <= text.length; n += 2) exercise(file, text.slice(0, n), random);
    });

    it(`${path.basename(file)} with 200 random edits`, () => {
      const random = rng(42);
      let current = text;
      for (let i = 0; i < 200; i++) {
        const at = Math.floor(random() * (current.length + 1));
        if (random() < 0.5) current = current.slice(0, at) + current.slice(at + Math.floor(random() * 8));
        else current = current.slice(0, at) + (JUNK[Math.floor(random() * JUNK.length)] ?? '') + current.slice(at);
        exercise(file, current, random);
      }
    });
  }

  it('binary noise and odd line breaks', () => {
    const random = rng(7);
    for (let i = 0; i < 50; i++) {
      const noise = Array.from({ length: 200 }, () => String.fromCharCode(Math.floor(random() * 0x2fff))).join('');
      exercise(model, noise, random);
      exercise(manifest, noise, random);
    }
    exercise(model, 'class M(DataFrameModel):\r\n    def predict(self, df):\r\n        return df\r', random);
  });
});

import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { CODES, type Code } from '../../../src/server/core/codes';
import { parsePython } from '../../../src/server/core/python/parse';
import { analyzeFile, analyzeFolder, applyFix, describeFindings, expectedMarkers, FIXTURES, textOf } from './helpers';

/** Codes the extension reports from a failed build's output, not the server: tested in test/unit/container/buildLog.test.ts. */
const BUILD_CODES: readonly Code[] = ['PYML500', 'PYML501'];

const cases = fs
  .readdirSync(FIXTURES)
  .filter((name) => /^PYML\d{3}/.test(name))
  .sort();

function hasSyntaxErrors(text: string): boolean {
  let found = false;
  parsePython(text).tree.iterate({
    enter: (n) => {
      if (n.type.isError) found = true;
    },
  });
  return found;
}

describe('rules: one fixture folder that triggers each code and one that does not', () => {
  it('every code has a bad and a good fixture', () => {
    const missing = (Object.keys(CODES) as Code[])
      .filter((code) => !BUILD_CODES.includes(code))
      .filter((code) => !fs.existsSync(path.join(FIXTURES, code, 'bad')) || !fs.existsSync(path.join(FIXTURES, code, 'good')));
    assert.deepStrictEqual(missing, []);
  });

  for (const name of cases) {
    const code = name.slice(0, 7);
    const bad = path.join(FIXTURES, name, 'bad');
    const good = path.join(FIXTURES, name, 'good');

    describe(name, () => {
      it(`bad/ reports exactly the marked findings, ${code} among them`, () => {
        const findings = analyzeFolder(bad);
        const got = describeFindings(bad, findings);
        assert.deepStrictEqual(got, expectedMarkers(bad));
        assert.ok(findings.some((f) => f.code === code), `no ${code} in ${got.join(', ')}`);
      });

      if (fs.existsSync(good)) {
        it('good/ reports nothing', () => {
          const findings = analyzeFolder(good);
          assert.deepStrictEqual(
            findings.map((f) => `${path.relative(good, f.file)}:${f.range.start.line + 1} ${f.code} ${f.message}`),
            [],
          );
        });
      }

      it('every quick fix removes its finding and leaves Python that parses', () => {
        for (const finding of analyzeFolder(bad)) {
          const before = analyzeFile(finding.file).filter((f) => f.code === finding.code).length;
          for (const fix of finding.fixes) {
            const after = applyFix(fix);
            const remaining = analyzeFile(finding.file, after).filter((f) => f.code === finding.code).length;
            assert.ok(remaining < before, `"${fix.title}" left ${remaining} of ${before} ${finding.code} in ${path.relative(bad, finding.file)}`);
            for (const file of after.keys()) {
              if (!file.endsWith('.py')) continue;
              const text = textOf(file, after);
              if (!hasSyntaxErrors(textOf(file))) assert.ok(!hasSyntaxErrors(text), `"${fix.title}" broke the syntax of ${path.basename(file)}:\n${text}`);
            }
          }
        }
      });
    });
  }
});

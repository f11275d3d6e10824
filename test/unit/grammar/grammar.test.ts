/**
 * Runs the TextMate grammar tests in test/grammar/ with vscode-tmgrammar-test, one mocha test per
 * test file, against the grammars package.json contributes (the tool reads contributes.grammars).
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const root = path.resolve(__dirname, '..', '..', '..', '..');
const testDir = path.join(root, 'test', 'grammar');
const cli = path.join(root, 'node_modules', 'vscode-tmgrammar-test', 'dist', 'unit.js');

interface Grammar {
  language?: string;
  scopeName: string;
  path: string;
}

const grammars = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { contributes: { grammars: Grammar[] } })
  .contributes.grammars;
const testFiles = fs.readdirSync(testDir).filter((f) => /\.test\./.test(f)).sort();

/** The scope a grammar test file declares in its first line: `<comment> SYNTAX TEST "<scope>"`. */
function declaredScope(file: string): string | undefined {
  const first = fs.readFileSync(path.join(testDir, file), 'utf8').split('\n')[0] ?? '';
  return /SYNTAX TEST "([^"]+)"/.exec(first)?.[1];
}

describe('grammars (vscode-tmgrammar-test, test/grammar/)', () => {
  it('every contributed grammar is valid JSON with its scopeName and has a test file', () => {
    for (const g of grammars) {
      const grammar = JSON.parse(fs.readFileSync(path.join(root, g.path), 'utf8')) as { scopeName: string };
      assert.strictEqual(grammar.scopeName, g.scopeName, g.path);
      assert.ok(testFiles.some((f) => declaredScope(f) === g.scopeName), `no test in test/grammar/ for ${g.scopeName}`);
    }
  });

  for (const file of testFiles) {
    it(file, function () {
      this.timeout(30_000);
      const assertions = fs.readFileSync(path.join(testDir, file), 'utf8').split('\n').filter((l) => /^(\/\/|#) *[\^<]/.test(l)).length;
      const r = spawnSync(process.execPath, [cli, '--config', path.join(root, 'package.json'), path.join(testDir, file)], {
        cwd: root,
        encoding: 'utf8',
      });
      assert.strictEqual(r.status, 0, `${file} failed:\n${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /run successfuly/);
      console.log(`      ${file}: ${assertions} assertion lines passed`);
    });
  }
});

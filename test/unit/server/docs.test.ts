import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { CODES } from '../../../src/server/core/codes';
import { REPO } from './helpers';

for (const doc of ['docs/diagnostics.md', 'README.md']) {
  describe(`${doc}: the diagnostic codes`, () => {
    const text = fs.readFileSync(path.join(REPO, doc), 'utf8');
    const rows = new Map<string, string>();
    for (const line of text.split('\n')) {
      const cells = line.split('|').map((c) => c.trim());
      if (/^PYML\d{3}$/.test(cells[1] ?? '')) rows.set(cells[1] ?? '', cells[2] ?? '');
    }

    it('has a row for every code, with its severity', () => {
      for (const [code, { severity }] of Object.entries(CODES)) {
        assert.strictEqual(rows.get(code), severity, `${code} in ${doc}`);
      }
    });

    it('documents no code the server does not have', () => {
      assert.deepStrictEqual([...rows.keys()].filter((c) => !(c in CODES)), []);
    });
  });
}

describe('README.md links', () => {
  it('every relative link names a file of the repository', () => {
    const text = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
    const links = [...text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)].map((m) => m[1] ?? '').filter((l) => !/^[a-z]+:/i.test(l));
    assert.ok(links.length > 0);
    assert.deepStrictEqual(links.filter((l) => !fs.existsSync(path.join(REPO, l))), []);
  });
});

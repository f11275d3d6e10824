import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { renderTemplate, templateKinds } from '../../../src/scaffold/render';
import { analyze } from '../../../src/server/core/analyze';
import { DiskFileSystem } from '../../../src/server/core/fs';

/** The language server's analysis over every file of a freshly rendered template: it must find nothing. */
describe('scaffold: templates pass the PyML analysis with zero diagnostics', () => {
  let root: string;
  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'pyml-templates-'));
  });
  after(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  for (const { template, kind } of templateKinds()) {
    it(`${template}/${kind}`, () => {
      const dir = path.join(root, `${template}-${kind}`);
      const files = renderTemplate(kind, template, `${template} ${kind}`);
      for (const f of files) {
        fs.mkdirSync(path.dirname(path.join(dir, f.path)), { recursive: true });
        fs.writeFileSync(path.join(dir, f.path), f.contents);
      }
      const ruleErrors: string[] = [];
      const found = files.flatMap((f) =>
        analyze(path.join(dir, f.path), new DiskFileSystem(), [], (rule, err) => ruleErrors.push(`${rule}: ${String(err)}`))
          .findings.map((x) => `${f.path}:${x.range.start.line + 1}: ${x.code} ${x.message}`),
      );
      assert.deepStrictEqual(ruleErrors, [], 'a rule of the analysis failed');
      assert.deepStrictEqual(found, []);
    });
  }
});

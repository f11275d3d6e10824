// Mocha reporter: the usual spec output, plus the counts written as JSON to $PYML_MOCHA_STATS
// so scripts/test.mjs counts exactly what ran instead of parsing text.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const Mocha = require('mocha');

class PymlReporter extends Mocha.reporters.Spec {
  /** @param {Mocha.Runner} runner @param {Mocha.MochaOptions} options */
  constructor(runner, options) {
    super(runner, options);
    /** @type {{ title: string, message: string }[]} */
    const failed = [];
    runner.on('fail', (test, err) => failed.push({ title: test.fullTitle(), message: String(err && err.message) }));
    runner.once('end', () => {
      const out = process.env.PYML_MOCHA_STATS;
      if (!out) return;
      const s = this.stats;
      fs.mkdirSync(path.dirname(out), { recursive: true });
      fs.writeFileSync(out, JSON.stringify({
        passes: s.passes, failures: s.failures, pending: s.pending, tests: s.tests, failed,
      }, null, 2));
    });
  }
}

module.exports = PymlReporter;

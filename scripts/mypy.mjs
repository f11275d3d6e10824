#!/usr/bin/env node
// npm run check:python: mypy (Debian's python3-mypy, installed by `npm run setup -- --only python`) over
// runtime/pyml, with the settings in runtime/pyproject.toml. Without mypy it says so and passes on a
// laptop; under CI, where setup installs it, a missing mypy fails.
import path from 'node:path';
import { SetupError, reportFatal } from './lib/log.mjs';
import { hostPython, repoRoot } from './lib/paths.mjs';
import { run } from './lib/proc.mjs';

async function main() {
  const probe = await run(hostPython, ['-m', 'mypy', '--version']);
  if (probe.code !== 0) {
    const why = `${hostPython} has no mypy (Debian: apt-get install python3-mypy, or npm run setup -- --only python)`;
    if (process.env['CI']) throw new SetupError(`${why}; CI installs it, so this fails`);
    console.log(`mypy skipped: ${why}`);
    return;
  }
  const r = await run(hostPython, ['-m', 'mypy'], { cwd: path.join(repoRoot, 'runtime'), output: 'inherit', env: { ...process.env, MYPY_CACHE_DIR: path.join(repoRoot, '.cache', 'mypy') } });
  if (r.code !== 0) process.exitCode = 1;
}

main().catch(reportFatal);

// Where things live: the clone, and the cache folder every provisioning step writes under.
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** Absolute path of the repository (the folder holding package.json). */
export const repoRoot = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** Everything downloaded, built or started by the scripts lives here (gitignored). */
export const cacheDir = path.join(repoRoot, '.cache');

/** Test output (screenshots, junit files, results), gitignored. */
export const resultsDir = path.join(repoRoot, 'test-results');

/** Logs of background services and long installs. */
export const logsDir = path.join(cacheDir, 'logs');

/** The packaged extension. */
export const vsixPath = path.join(cacheDir, 'pyml-vscode.vsix');

/** The extension id as VS Code knows it (publisher.name). */
export const extensionId = 'pyml.pyml-vscode';

/** Python used for host-side tests and benchmarks (Debian's, with apt packages). */
export const hostPython = process.env.PYML_PYTHON || '/usr/bin/python3';

/** The test base image built by setup (debootstrap + docker import). */
export const baseImageTag = 'pyml-base:bookworm';

/** The second test base image: Debian 13, today's stack (Python 3.13, numpy 2, pandas 2, torch 2). */
export const trixieImageTag = 'pyml-base:trixie';

// The example workspace `npm start` opens (and the first-run UI test walks): examples/ copied to a folder,
// with the settings a first-time user of this clone needs.
import fs from 'node:fs';
import path from 'node:path';
import { SetupError, info } from './log.mjs';
import { baseImageTag, repoRoot } from './paths.mjs';

/**
 * Creates or refreshes `dir` from examples/ (a DataFrame model, a tensor model, a table and a SQL query
 * for batch). Files the user added are kept; files from examples/ are overwritten.
 * @param {string} dir
 */
export function prepareExampleWorkspace(dir) {
  const examples = path.join(repoRoot, 'examples');
  if (!fs.existsSync(path.join(examples, 'README.md'))) throw new SetupError(`${examples} is missing: this clone is incomplete`);
  fs.mkdirSync(dir, { recursive: true });
  fs.cpSync(examples, dir, { recursive: true });
  info(`workspace: examples/ copied to ${path.relative(repoRoot, dir)}`);
  const settingsFile = path.join(dir, '.vscode', 'settings.json');
  /** @type {Record<string, unknown>} */
  let settings = {};
  try { settings = JSON.parse(fs.readFileSync(settingsFile, 'utf8')); } catch { /* new */ }
  settings['pyml.build.baseImage'] = baseImageTag;
  // The workspace sits inside this clone: without this, the Git extension offers to open the parent repository.
  settings['git.openRepositoryInParentFolders'] = 'never';
  fs.mkdirSync(path.dirname(settingsFile), { recursive: true });
  fs.writeFileSync(settingsFile, `${JSON.stringify(settings, null, 2)}\n`);
}

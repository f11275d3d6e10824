/**
 * The `pyml` debug configuration (pure, no editor): what a user writes in launch.json or what the
 * provider gives for F5, and the `attach` arguments debugpy receives for it.
 *
 *   { "type": "pyml", "request": "launch", "name": "PyML: Debug Model",
 *     "folder": "${workspaceFolder}", "waitForDebugger": false, "justMyCode": true }
 *
 * `launch` is what the user asks for (PyML builds and starts the container); debugpy, listening
 * in the container, is then attached to, so the adapter is sent `attach`.
 */
import * as path from 'path';
import { IMAGE_PATHS } from '../container/labels';

export const DEBUG_TYPE = 'pyml';

export interface PymlDebugConfiguration {
  type: string;
  request: string;
  name: string;
  /** The model folder (holding pyml.yaml); default: the active editor's model folder. */
  folder?: string;
  /** Hold the model's construction until the debugger attaches (breakpoints in `__init__`). */
  waitForDebugger?: boolean;
  /** Stop only in the model's code; default: the `pyml.debug.justMyCode` setting. */
  justMyCode?: boolean;
  [key: string]: unknown;
}

/** A configuration for a folder; without `wait`, the `pyml.debug.waitForDebugger` setting decides. */
export function defaultConfiguration(folder?: string, wait?: boolean): PymlDebugConfiguration {
  return {
    type: DEBUG_TYPE,
    request: 'launch',
    name: 'PyML: Debug Model',
    ...(folder !== undefined ? { folder } : {}),
    ...(wait !== undefined ? { waitForDebugger: wait } : {}),
  };
}

export interface PathMapping {
  readonly localRoot: string;
  readonly remoteRoot: string;
}

/**
 * The arguments of debugpy's `attach` request: the model folder and the PyML runtime mapped to
 * their paths in the image, "just my code" as asked.
 */
export function attachArguments(
  config: PymlDebugConfiguration,
  folder: string,
  runtimeDir: string,
  justMyCodeSetting: boolean,
): PymlDebugConfiguration & { pathMappings: PathMapping[]; justMyCode: boolean } {
  return {
    ...config,
    request: 'attach',
    folder,
    justMyCode: config.justMyCode ?? justMyCodeSetting,
    pathMappings: [
      { localRoot: path.resolve(folder), remoteRoot: IMAGE_PATHS.model },
      { localRoot: path.join(runtimeDir, 'pyml'), remoteRoot: `${IMAGE_PATHS.lib}/pyml` },
    ],
  };
}

/** A configuration's problem, or undefined when it can be used. */
export function configurationProblem(config: PymlDebugConfiguration): string | undefined {
  if (config.folder !== undefined && typeof config.folder !== 'string') return '"folder" must be a path';
  if (config.waitForDebugger !== undefined && typeof config.waitForDebugger !== 'boolean') return '"waitForDebugger" must be true or false';
  if (config.justMyCode !== undefined && typeof config.justMyCode !== 'boolean') return '"justMyCode" must be true or false';
  if (config.request !== 'launch' && config.request !== 'attach') return `"request" must be "launch", not "${config.request}"`;
  return undefined;
}

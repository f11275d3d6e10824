/**
 * The Dockerfile of a model image: a pure function of the manifest and the model folder's
 * dependency files.
 *
 * Layers, cheapest to change last, so that editing model.py rebuilds only the last ones:
 *   base → environment and user → apt packages (packages.txt) → runtime requirements →
 *   model requirements (requirements.txt) → runtime code → how to start → model data → model code → labels.
 * Editing model.py rebuilds the model layer and the labels only.
 *
 * The model's data (data/ and any large file, buildContext.ts says which) is a layer of its own,
 * below the code. The extension builds the steps up to it as an image of their own, once per content
 * (`pyml-data/<model>:<key>`, imageBuild.ts), and the code on top of it from a context that holds
 * the code only (`codeStageDockerfile`): a code edit neither sends nor copies the data again. The
 * exported Dockerfile is the same steps in one file, which plain `docker build` builds.
 *
 * Works on `python:3.x-slim` (python at /usr/local/bin) and on Debian's own python3 (PEP 668
 * "externally managed": PIP_BREAK_SYSTEM_PACKAGES). pip is only called when a requirements file
 * has requirements, and requirements the base image already satisfies need no package index.
 *
 * The build context it expects (buildContext.ts makes it):
 *   Dockerfile
 *   runtime/requirements.txt   the PyML runtime's dependencies
 *   runtime/pyml/              the PyML runtime package
 *   model-data/                the model's data files, at their paths in the model folder (when it has data)
 *   model/                     the rest of the model folder (its .dockerignore applied)
 */
import type { Manifest } from '../model/manifest';
import { CONTAINER_UID, IMAGE_PATHS, LABEL, schemaJson } from './labels';
import { isValidAptSpec, type AptPackageLine } from './dependencyFiles';

/** What a step of the Dockerfile is for; build failures are explained by it. */
export type StepRole =
  | 'base'
  | 'environment'
  | 'user'
  | 'apt'
  | 'runtime-requirements-copy'
  | 'runtime-requirements'
  | 'model-requirements-copy'
  | 'model-requirements'
  | 'runtime'
  | 'command'
  | 'data'
  | 'model'
  | 'metadata';

/** Folders of the build context (buildContext.ts lays them out). */
export const CONTEXT_DIRS = { runtime: 'runtime', data: 'model-data', model: 'model' } as const;

export interface DockerfileStep {
  readonly role: StepRole;
  /** The instruction as written (first line), e.g. `RUN python3 -m pip install ...`. */
  readonly instruction: string;
}

export interface DockerfileInput {
  readonly manifest: Manifest;
  /** The image to start from (the manifest's runtime.base_image wins over the setting; resolved by the caller). */
  readonly baseImage: string;
  readonly manifestHash: string;
  /** packages.txt entries (empty when there is none). */
  readonly aptPackages: readonly AptPackageLine[];
  /** Whether the model's requirements.txt has requirements (false: no file, or only comments). */
  readonly modelRequirements: boolean;
  /** Whether the runtime's requirements.txt has requirements. */
  readonly runtimeRequirements: boolean;
  /** Whether the model has data files (a `model-data/` layer of their own); none when absent. */
  readonly hasData?: boolean;
  /** The runtime's default max message size, in MiB (the run command can override it). */
  readonly maxMessageMB: number;
  /** Labels of this build only (the host folder); not part of an exported Dockerfile. */
  readonly extraLabels?: Readonly<Record<string, string>>;
}

export interface GeneratedDockerfile {
  /** The whole Dockerfile (what Export Dockerfile writes): one file, one context. */
  readonly text: string;
  /** One entry per instruction, in order: step N of the build is steps[N - 1]. */
  readonly steps: readonly DockerfileStep[];
  /** The text of each step, parallel to `steps` (the stages are cut from them). */
  readonly blocks: readonly string[];
  /** Steps 1..dataSteps make the data image (up to and including the data layer); 0 without data. */
  readonly dataSteps: number;
}

export class DockerfileError extends Error {
  override readonly name = 'DockerfileError';
}

const PIP_ENV = [
  'PIP_BREAK_SYSTEM_PACKAGES=1',
  'PIP_DISABLE_PIP_VERSION_CHECK=1',
  'PIP_NO_CACHE_DIR=1',
  'PIP_NO_INPUT=1',
  'PIP_ROOT_USER_ACTION=ignore',
];

export function generateDockerfile(input: DockerfileInput): GeneratedDockerfile {
  const { manifest } = input;
  if (!/^[^\s]+$/.test(input.baseImage)) throw new DockerfileError(`'${input.baseImage}' is not an image reference`);
  const badPackages = input.aptPackages.filter((p) => !isValidAptSpec(p.spec));
  if (badPackages.length > 0) {
    const first = badPackages[0];
    throw new DockerfileError(`packages.txt line ${(first?.line ?? 0) + 1}: '${first?.spec ?? ''}' is not a Debian package name`);
  }

  const steps: DockerfileStep[] = [];
  const blocks: string[] = [];
  const add = (role: StepRole, instruction: string, ...continuation: string[]): void => {
    steps.push({ role, instruction });
    blocks.push(continuation.length > 0 ? [instruction, ...continuation].join(' \\\n    ') : instruction);
  };
  // Requirements the base image already satisfies skip pip (runtime/pyml/satisfied.py says why).
  const pipInstall = (file: string): string =>
    `RUN python3 ${IMAGE_PATHS.root}/satisfied.py ${file} || { python3 -m pip --version >/dev/null 2>&1 || { echo "pip is missing in the base image: install python3-pip or use a python:3.x image" >&2; exit 1; }; python3 -m pip install -r ${file}; }`;
  let checkerCopied = false;
  const copyChecker = (role: StepRole): void => {
    if (checkerCopied) return;
    checkerCopied = true;
    add(role, `COPY runtime/pyml/satisfied.py ${IMAGE_PATHS.root}/satisfied.py`);
  };

  add('base', `FROM ${input.baseImage}`);
  add(
    'environment',
    'ENV PYTHONUNBUFFERED=1',
    'PYTHONDONTWRITEBYTECODE=1',
    `PYTHONPATH=${IMAGE_PATHS.lib}`,
    'HOME=/tmp',
    'LANG=C.UTF-8',
    ...PIP_ENV,
  );
  add('user', `RUN useradd --uid ${CONTAINER_UID} --user-group --no-create-home --home-dir /tmp --shell /usr/sbin/nologin pyml 2>/dev/null || adduser -D -H -u ${CONTAINER_UID} pyml`);
  if (input.aptPackages.length > 0) {
    const specs = input.aptPackages.map((p) => p.spec);
    add(
      'apt',
      'RUN apt-get update',
      `&& DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${specs.join(' ')}`,
      '&& rm -rf /var/lib/apt/lists/*',
    );
  }
  if (input.runtimeRequirements) {
    copyChecker('runtime-requirements-copy');
    add('runtime-requirements-copy', `COPY runtime/requirements.txt ${IMAGE_PATHS.root}/runtime-requirements.txt`);
    add('runtime-requirements', pipInstall(`${IMAGE_PATHS.root}/runtime-requirements.txt`));
  }
  if (input.modelRequirements) {
    copyChecker('model-requirements-copy');
    add('model-requirements-copy', `COPY model/requirements.txt ${IMAGE_PATHS.root}/model-requirements.txt`);
    add('model-requirements', pipInstall(`${IMAGE_PATHS.root}/model-requirements.txt`));
  }
  add('runtime', `COPY runtime/pyml ${IMAGE_PATHS.lib}/pyml`);
  // How the image starts does not depend on the model: before its code, so it stays cached.
  add('command', `WORKDIR ${IMAGE_PATHS.model}`);
  add('command', `USER ${CONTAINER_UID}:${CONTAINER_UID}`);
  add('command', 'ENTRYPOINT ["python3", "-m", "pyml"]');
  add('command', `CMD ${JSON.stringify(serveArgs({ socket: IMAGE_PATHS.socket, maxMessageMB: input.maxMessageMB }))}`);
  if (input.hasData) add('data', `COPY ${CONTEXT_DIRS.data}/ ${IMAGE_PATHS.model}/`);
  const dataSteps = input.hasData ? steps.length : 0;
  add('model', `COPY ${CONTEXT_DIRS.model}/ ${IMAGE_PATHS.model}/`);
  const env = Object.entries(manifest.runtime.env);
  if (env.length > 0) {
    for (const [key] of env) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new DockerfileError(`runtime.env: '${key}' is not an environment variable name`);
    }
    const [first, ...rest] = env.map(([k, v]) => `${k}=${quote(v)}`);
    add('metadata', `ENV ${first ?? ''}`, ...rest);
  }
  const extra = Object.entries(input.extraLabels ?? {}).map(([k, v]) => `${k}=${quote(v)}`);
  add(
    'metadata',
    `LABEL ${LABEL.name}=${quote(manifest.name)}`,
    `${LABEL.version}=${quote(manifest.version)}`,
    `${LABEL.kind}=${quote(manifest.kind)}`,
    `${LABEL.manifestHash}=${quote(input.manifestHash)}`,
    `${LABEL.schema}=${quote(schemaJson(manifest))}`,
    ...extra,
  );
  const header = [
    `# Dockerfile of the PyML model '${manifest.name}' ${manifest.version}, generated by PyML for VS Code.`,
    `# Build context: Dockerfile, ${CONTEXT_DIRS.runtime}/ (the PyML runtime: requirements.txt and pyml/),${input.hasData ? ` ${CONTEXT_DIRS.data}/ (the model's data files),` : ''} ${CONTEXT_DIRS.model}/ (the model folder${input.hasData ? ' without its data' : ''}).`,
    '',
  ];
  return { text: [...header, ...blocks].join('\n') + '\n', steps, blocks, dataSteps };
}

/** The Dockerfile of the data image: every step up to and including the data layer. */
export function dataStageDockerfile(generated: GeneratedDockerfile): string {
  if (generated.dataSteps === 0) throw new DockerfileError('the model has no data layer');
  return generated.blocks.slice(0, generated.dataSteps).join('\n') + '\n';
}

/**
 * The Dockerfile of the code image, on top of the data image: step 1 is `FROM dataImage`, and step
 * N > 1 is step `dataSteps + N - 1` of the whole Dockerfile (`wholeStep` maps it).
 */
export function codeStageDockerfile(generated: GeneratedDockerfile, dataImage: string): string {
  return [`FROM ${dataImage}`, ...generated.blocks.slice(generated.dataSteps)].join('\n') + '\n';
}

/** The step of the whole Dockerfile that step `step` of the code stage is (undefined: its FROM). */
export function wholeStep(generated: GeneratedDockerfile, step: number): number | undefined {
  return step <= 1 ? undefined : generated.dataSteps + step - 1;
}

/** Arguments of `python3 -m pyml` that serve the image's model on a socket or a port. */
export function serveArgs(where: { socket: string; maxMessageMB: number } | { port: number; maxMessageMB: number }): string[] {
  const address = 'socket' in where ? ['--socket', where.socket] : ['--port', String(where.port), '--host', '0.0.0.0'];
  return ['serve', IMAGE_PATHS.model, ...address, '--max-message-mb', String(where.maxMessageMB)];
}

/** A Dockerfile double-quoted string: backslash, quote and `$` escaped, newlines flattened. */
export function quote(value: string): string {
  return `"${value.replace(/[\\"$]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ')}"`;
}

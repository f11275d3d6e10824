/**
 * Shared pieces of the integration tests: the real engine, the base image (PYML_TEST_BASE_IMAGE),
 * copies of the model fixtures with unique names, waiting for conditions, cleanup, and raw V2
 * tensors written by hand (independent of the extension's codec).
 */
import { randomBytes } from 'crypto';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { BuildSettings } from '../../src/container/imageBuild';
import { connectEngine, type Engine } from '../../src/container/engine';
import { LABEL } from '../../src/container/labels';
import type { ModelContainer } from '../../src/container/modelContainer';
import type { RunSettings } from '../../src/container/runContainer';
import { toInferParameters, type ModelInferRequest, type ModelInferResponse } from '../../src/protocol/v2types';

/** The repository root (tests run from out/test/integration). */
export const REPO = path.resolve(__dirname, '..', '..', '..');
export const BASE_IMAGE = process.env['PYML_TEST_BASE_IMAGE'] ?? 'pyml-base:bookworm';
/** The second base image, today's Python stack (Debian 13: Python 3.13, numpy 2, pandas 2, torch 2). */
export const NEW_BASE_IMAGE = process.env['PYML_TEST_NEW_BASE_IMAGE'] ?? 'pyml-base:trixie';
export const RUNTIME_DIR = path.join(REPO, 'runtime');
export const PROTO_PATH = path.join(RUNTIME_DIR, 'pyml', 'proto', 'grpc_predict_v2.proto');
export const FIXTURES = path.join(REPO, 'test', 'fixtures', 'models');

export const buildSettings: BuildSettings = { runtimeDir: RUNTIME_DIR, baseImage: BASE_IMAGE, maxMessageMB: 64 };
export const runSettings: RunSettings = {
  network: false,
  memory: '1g',
  cpus: 1,
  maxMessageMB: 64,
  protoPath: PROTO_PATH,
  readyTimeoutMs: 60_000,
};

let engine: Promise<Engine> | undefined;

/** The engine the tests use (DOCKER_HOST / context / default socket, as the extension finds it). */
export function testEngine(): Promise<Engine> {
  engine ??= connectEngine({ setting: '' });
  return engine;
}

/** Fails the suite early with a useful message when the base image is missing. */
export async function requireBaseImage(image = BASE_IMAGE): Promise<void> {
  const e = await testEngine();
  try {
    await e.docker.getImage(image).inspect();
  } catch {
    const variable = image === BASE_IMAGE ? 'PYML_TEST_BASE_IMAGE' : 'PYML_TEST_NEW_BASE_IMAGE';
    throw new Error(`the base image ${image} is missing: run \`node scripts/setup.mjs --only docker,image\` (or set ${variable})`);
  }
}

/** Removes what a test made: containers, images (by tag), temporary folders. */
export class Cleanup {
  private readonly containers = new Set<ModelContainer>();
  private readonly images = new Set<string>();
  private readonly dirs = new Set<string>();

  container(c: ModelContainer): ModelContainer {
    this.containers.add(c);
    return c;
  }

  image(tag: string): void {
    this.images.add(tag);
  }

  dir(d: string): string {
    this.dirs.add(d);
    return d;
  }

  async run(): Promise<void> {
    const e = await testEngine();
    for (const c of this.containers) await c.stop(2).catch(() => undefined);
    // Containers of failed starts, found by the model folder label.
    const listed = await e.docker.listContainers({ all: true, filters: { label: [LABEL.folder] } });
    for (const c of listed) {
      const folder = c.Labels[LABEL.folder] ?? '';
      if ([...this.dirs].some((d) => folder.startsWith(d + path.sep))) await e.docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    }
    for (const tag of this.images) await e.docker.getImage(tag).remove({ force: true }).catch(() => undefined);
    // Every image built from this test's folders, also those a later build untagged.
    const images = await e.docker.listImages({ all: true, filters: { label: [LABEL.folder] } });
    for (const image of images) {
      const folder = image.Labels[LABEL.folder] ?? '';
      if ([...this.dirs].some((d) => folder.startsWith(d + path.sep))) await e.docker.getImage(image.Id).remove({ force: true }).catch(() => undefined);
    }
    // Then the data images those models were built on (imageBuild.ts).
    const dataImages = await e.docker.listImages({ filters: { label: [LABEL.dataOf] } });
    for (const image of dataImages) {
      const folder = image.Labels[LABEL.dataOf] ?? '';
      if ([...this.dirs].some((d) => folder.startsWith(d + path.sep))) await e.docker.getImage(image.Id).remove({ force: true }).catch(() => undefined);
    }
    for (const d of this.dirs) await fs.rm(d, { recursive: true, force: true });
    this.containers.clear();
    this.images.clear();
    this.dirs.clear();
  }
}

/**
 * Copies a fixture model folder to a fresh temporary folder and gives the model a unique name
 * (so its image tag and container cannot clash with another run). Returns the folder and name.
 */
export async function copyFixture(fixture: string, cleanup: Cleanup): Promise<{ folder: string; name: string }> {
  const parent = cleanup.dir(await fs.mkdtemp(path.join(os.tmpdir(), 'pyml-it-')));
  const folder = path.join(parent, fixture);
  await fs.cp(path.join(FIXTURES, fixture), folder, { recursive: true });
  const name = `${fixture}-${randomBytes(3).toString('hex')}`;
  const manifest = path.join(folder, 'pyml.yaml');
  const text = await fs.readFile(manifest, 'utf8');
  await fs.writeFile(manifest, text.replace(/^name: .*$/m, `name: ${name}`));
  return { folder, name };
}

/** Polls `probe` until it returns something other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? ` (last error: ${last.message})` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A DataFrame request: one FP64 and one BYTES column, raw contents. */
export function dataFrameRequest(model: string, x: readonly number[], label: readonly string[]): ModelInferRequest {
  const xs = Buffer.alloc(8 * x.length);
  x.forEach((v, i) => xs.writeDoubleLE(v, i * 8));
  const parts: Buffer[] = [];
  for (const s of label) {
    const bytes = Buffer.from(s, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32LE(bytes.length);
    parts.push(len, bytes);
  }
  return {
    model_name: model,
    parameters: toInferParameters({ content_type: 'pd' }),
    inputs: [
      { name: 'x', datatype: 'FP64', shape: [x.length] },
      { name: 'label', datatype: 'BYTES', shape: [label.length] },
    ],
    raw_input_contents: [xs, Buffer.concat(parts)],
  };
}

/** A tensor request: one FP32 tensor of shape [rows, 3]. */
export function tensorRequest(model: string, rows: readonly (readonly number[])[]): ModelInferRequest {
  const flat = rows.flat();
  const data = Buffer.alloc(4 * flat.length);
  flat.forEach((v, i) => data.writeFloatLE(v, i * 4));
  return {
    model_name: model,
    inputs: [{ name: 'x', datatype: 'FP32', shape: [rows.length, 3] }],
    raw_input_contents: [data],
  };
}

/** The raw bytes of an output tensor by name. */
export function rawOutput(response: ModelInferResponse, name: string): Buffer {
  const i = response.outputs.findIndex((o) => o.name === name);
  const raw = response.raw_output_contents[i];
  if (i < 0 || !raw) throw new Error(`no raw output '${name}' in ${JSON.stringify(response.outputs.map((o) => o.name))}`);
  return raw;
}

export function fp64(buf: Buffer): number[] {
  return Array.from({ length: buf.length / 8 }, (_, i) => buf.readDoubleLE(i * 8));
}

export function fp32(buf: Buffer): number[] {
  return Array.from({ length: buf.length / 4 }, (_, i) => buf.readFloatLE(i * 4));
}

export function byteStrings(buf: Buffer): string[] {
  const out: string[] = [];
  for (let at = 0; at < buf.length; ) {
    const len = buf.readUInt32LE(at);
    out.push(buf.subarray(at + 4, at + 4 + len).toString('utf8'));
    at += 4 + len;
  }
  return out;
}

/** Predicts x → output x through a DataFrame model (the identity fixture and its edits). */
export async function predictX(model: ModelContainer, x: readonly number[]): Promise<number[]> {
  const response = await model.infer(dataFrameRequest(model.info.modelName, x, x.map((v) => `row${v}`)), { deadlineMs: 20_000 });
  return fp64(rawOutput(response, 'x'));
}

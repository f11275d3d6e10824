/**
 * Names and labels that tie images and containers to model folders. Labels are how running models
 * are found again after a window reload, and how the tree lists a folder's images.
 */
import { createHash } from 'crypto';
import * as path from 'path';
import type { Field, Manifest } from '../model/manifest';

export const LABEL = {
  /** Model name (image and container). */
  name: 'dev.pyml.name',
  version: 'dev.pyml.version',
  kind: 'dev.pyml.kind',
  /** Hash of the manifest's meaning (not its comments or layout). */
  manifestHash: 'dev.pyml.manifest-hash',
  /** JSON of the model's inputs and outputs. */
  schema: 'dev.pyml.schema',
  /** Absolute host path of the model folder (set at build and run, not in the exported Dockerfile). */
  folder: 'dev.pyml.folder',
  /** Container: `run` or `dev`. */
  mode: 'dev.pyml.mode',
  /** Container: the gRPC address on the host (`unix:///...` or `127.0.0.1:port`). */
  address: 'dev.pyml.address',
  /** Container: the host folder that holds the socket. */
  socketDir: 'dev.pyml.socket-dir',
  /** Data image (and, inherited, the model images on top of it): the model folder it holds the data of. */
  dataOf: 'dev.pyml.data-of',
  /** Data image: the data files' stamp (names, sizes, times) and content hash it was built from. */
  dataStamp: 'dev.pyml.data-stamp',
  dataContent: 'dev.pyml.data-content',
  /** Container: the host folder of its shared-memory regions (under /dev/shm). */
  shmDir: 'dev.pyml.shm-dir',
} as const;

/** Where the model lives inside the image. */
export const IMAGE_PATHS = {
  root: '/opt/pyml',
  lib: '/opt/pyml/lib',
  model: '/opt/pyml/model',
  /** The container's end of the bind-mounted socket folder. */
  socketDir: '/run/pyml',
  socket: '/run/pyml/model.sock',
} as const;

/** The uid:gid model images run as when nothing else is asked for (and when the host user is root). */
export const CONTAINER_UID = 10001;

/** The gRPC port inside the container when a Unix socket cannot cross into it. */
export const CONTAINER_PORT = 8001;

/** `pyml/<name>:<version>`, made valid for Docker. */
export function imageTag(manifest: Pick<Manifest, 'name' | 'version'>): string {
  const repo = manifest.name.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[._-]+|[._-]+$/g, '') || 'model';
  const tag = manifest.version.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[.-]+/, '').slice(0, 128) || 'latest';
  return `pyml/${repo}:${tag}`;
}

/** `pyml-data/<name>:<key>`: the data image of a model, one per content of its data stage. */
export function dataImageTag(manifest: Pick<Manifest, 'name'>, key: string): string {
  const repo = imageTag({ name: manifest.name, version: 'x' }).replace(/^pyml\//, '').replace(/:x$/, '');
  return `pyml-data/${repo}:${key.slice(0, 16)}`;
}

/** A short stable id of a model folder (for container names and socket folders). */
export function folderId(folder: string): string {
  return createHash('sha256').update(path.resolve(folder)).digest('hex').slice(0, 10);
}

/** The container of a model folder: one at a time per folder. */
export function containerName(manifest: Pick<Manifest, 'name'>, folder: string): string {
  const name = manifest.name.toLowerCase().replace(/[^a-z0-9_.-]+/g, '-').slice(0, 40);
  return `pyml-${name}-${folderId(folder)}`;
}

/** The model's contract as a label value: kind, inputs and outputs (name, datatype, shape). */
export function schemaJson(manifest: Pick<Manifest, 'kind' | 'inputs' | 'outputs'>): string {
  const field = (f: Field): Record<string, unknown> => (f.shape ? { name: f.name, datatype: f.datatype, shape: f.shape } : { name: f.name, datatype: f.datatype });
  return JSON.stringify({ kind: manifest.kind, inputs: manifest.inputs.map(field), outputs: manifest.outputs.map(field) });
}

/** Hash of what the manifest means: the same for a manifest that only changes comments or layout. */
export function manifestHash(manifest: Manifest): string {
  return createHash('sha256').update(canonicalJson(manifest)).digest('hex').slice(0, 16);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

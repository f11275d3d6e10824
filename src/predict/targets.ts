/**
 * Where the panel can send requests: the running PyML model containers (found by their
 * `dev.pyml.*` labels, so they are found again after a window reload), or any Open Inference
 * Protocol server by address.
 */
import type Docker from 'dockerode';
import { LABEL } from '../container/labels';
import { containerInfoOf } from '../container/runContainer';
import { normalizeAddress } from '../protocol/v2client';
import type { Target } from '../shared/panelMessages';

/** A target with what the extension knows beyond the webview's view of it. */
export interface TargetEntry extends Target {
  /** Model name, when known before asking the server (container label). */
  readonly model?: string;
  /** Host folder of the model (container label), for traceback links and samples. */
  readonly folder?: string;
}

export interface TargetList {
  readonly targets: TargetEntry[];
  /** Why the list may be incomplete (Docker not reachable ...). */
  readonly note?: string;
}

/** Where the running model containers come from: the container manager (its one Docker connection). */
export interface ContainerSource {
  /** The running model containers, newest first; throws when Docker cannot be reached. */
  runningContainers(): Promise<Docker.ContainerInfo[]>;
}

/** The running model containers, newest first; an unreachable Docker engine gives a note, not an error. */
export async function containerTargets(source: ContainerSource): Promise<TargetList> {
  let containers: Docker.ContainerInfo[];
  try {
    containers = await source.runningContainers();
  } catch (err) {
    const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
    return { targets: [], note: `Running containers are not listed: ${reason ?? ''}` };
  }
  const targets: TargetEntry[] = [];
  for (const c of containers) {
    const info = containerInfoOf(c);
    if (!info) continue;
    const version = c.Labels[LABEL.version] ?? '';
    targets.push({
      id: `c-${info.id.slice(0, 12)}`,
      kind: 'container',
      label: `${info.modelName} ${version}${info.mode === 'dev' ? ' (dev mode)' : ''}`.replace(/\s+/g, ' ').trim(),
      detail: `${info.name} · ${info.address}`,
      address: info.address,
      model: info.modelName,
      folder: info.folder,
    });
  }
  return { targets };
}

/** A target for an address the user typed: `unix:///path`, `/path`, `host:port`. */
export function addressTarget(address: string, model?: string): TargetEntry {
  const normalized = normalizeAddress(address);
  if (!isUsableAddress(normalized)) throw new Error(`'${address}' is not a server address; use unix:///path/to/socket or host:port`);
  return {
    id: `a-${hash(normalized)}`,
    kind: 'address',
    label: normalized,
    detail: 'Open Inference Protocol server',
    address: normalized,
    ...(model ? { model } : {}),
  };
}

export function isUsableAddress(address: string): boolean {
  if (address.startsWith('unix:///')) return address.length > 'unix:///'.length;
  return /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(address);
}

function hash(s: string): string {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return (h >>> 0).toString(36);
}

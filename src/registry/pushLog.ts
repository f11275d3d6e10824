/**
 * Reads dockerd's push stream (`POST /images/{name}/push`): one JSON message a line, per layer
 * `Preparing` → `Waiting` → `Pushing` (progressDetail current/total) → `Pushed` (or `Layer already
 * exists`, `Mounted from ...`), then `TAG: digest: sha256:... size: N` and an `aux` record with the
 * manifest digest; or `{error, errorDetail}` when the push fails. Pure: the tests feed it real streams.
 */

export interface LayerState {
  readonly id: string;
  status: string;
  /** Bytes of the layer read so far (dockerd counts the uncompressed layer). */
  current: number;
  /** The layer's size, once dockerd says it. */
  total: number | undefined;
  done: boolean;
}

export interface PushProgress {
  readonly layers: number;
  readonly layersDone: number;
  /** Layers the registry had already (not sent again). */
  readonly layersExisting: number;
  readonly bytesSent: number;
  /** Sum of the sizes dockerd announced (layers it did not have to send count as sent). */
  readonly bytesTotal: number;
  /** Whether every layer still to send has announced its size (else bytesTotal is a lower bound). */
  readonly sizesKnown: boolean;
}

const DONE = /^(Pushed|Layer already exists|Mounted from .*)$/;

export class PushLog {
  private readonly layerMap = new Map<string, LayerState>();
  /** The manifest digest the registry stored (`sha256:...`). */
  digest: string | undefined;
  /** The size of the manifest, as dockerd reports it. */
  manifestSize: number | undefined;
  error: string | undefined;
  /** Text lines for the log (statuses that change, not every progress tick). */
  readonly lines: string[] = [];

  /** Feeds one parsed message; returns true when the progress changed. */
  feed(message: unknown): boolean {
    if (typeof message !== 'object' || message === null) {
      if (typeof message === 'string' && message.trim()) this.lines.push(message.trim());
      return false;
    }
    const m = message as Record<string, unknown>;
    if (typeof m['error'] === 'string' || typeof m['errorDetail'] === 'object') {
      const detail = m['errorDetail'] as { message?: unknown } | undefined;
      this.error = typeof detail?.message === 'string' ? detail.message : String(m['error']);
      this.lines.push(`error: ${this.error}`);
      return false;
    }
    const aux = m['aux'] as { Digest?: unknown; Size?: unknown } | undefined;
    if (aux && typeof aux.Digest === 'string') {
      this.digest = aux.Digest;
      if (typeof aux.Size === 'number') this.manifestSize = aux.Size;
      return true;
    }
    const status = typeof m['status'] === 'string' ? m['status'] : '';
    const id = typeof m['id'] === 'string' ? m['id'] : undefined;
    if (!id) {
      const digest = /digest: (sha256:[0-9a-f]{64})/.exec(status);
      if (digest?.[1]) this.digest ??= digest[1];
      if (status) this.lines.push(status);
      return false;
    }
    let layer = this.layerMap.get(id);
    if (!layer) {
      layer = { id, status, current: 0, total: undefined, done: false };
      this.layerMap.set(id, layer);
    }
    const changed = layer.status !== status;
    layer.status = status;
    const detail = m['progressDetail'] as { current?: unknown; total?: unknown } | undefined;
    if (typeof detail?.current === 'number') layer.current = detail.current;
    // dockerd gives tiny layers a nonsense total (3 for 2 KB): a total never shrinks below what was read.
    if (typeof detail?.total === 'number' && detail.total > 0) layer.total = Math.max(detail.total, layer.current);
    if (layer.total !== undefined && layer.current > layer.total) layer.total = layer.current;
    if (DONE.test(status)) {
      layer.done = true;
      if (layer.total !== undefined) layer.current = layer.total;
    }
    if (changed && status !== 'Pushing') this.lines.push(`${id}: ${status}`);
    return true;
  }

  get layers(): readonly LayerState[] {
    return [...this.layerMap.values()];
  }

  /** Whether any layer has started going up (a failure now is a push that stopped halfway). */
  get started(): boolean {
    return this.layers.some((l) => l.status === 'Pushing' || l.current > 0 || l.status === 'Pushed');
  }

  progress(): PushProgress {
    const layers = this.layers;
    return {
      layers: layers.length,
      layersDone: layers.filter((l) => l.done).length,
      layersExisting: layers.filter((l) => l.done && l.status !== 'Pushed').length,
      bytesSent: layers.reduce((sum, l) => sum + l.current, 0),
      bytesTotal: layers.reduce((sum, l) => sum + (l.total ?? l.current), 0),
      sizesKnown: layers.every((l) => l.done || l.total !== undefined),
    };
  }
}

/** `1 of 3 layers · 250 MB of 2.2 GB`. */
export function describeProgress(p: PushProgress): string {
  const existing = p.layersExisting > 0 ? ` (${p.layersExisting} already there)` : '';
  const bytes = p.bytesTotal <= 0 ? '' : p.sizesKnown ? ` · ${formatBytes(p.bytesSent)} of ${formatBytes(p.bytesTotal)}` : ` · ${formatBytes(p.bytesSent)} sent`;
  return `${p.layersDone} of ${p.layers} layers${existing}${bytes}`;
}

export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = n / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ${units[unit] ?? ''}`;
}

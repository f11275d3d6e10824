/**
 * A container's output: the engine multiplexes stdout and stderr of a container without a TTY into
 * frames (8-byte header: stream type, 3 zero bytes, big-endian length). Tail and follow.
 */
import type Docker from 'dockerode';

export interface LogLine {
  readonly stream: 'stdout' | 'stderr';
  readonly text: string;
}

/** Splits multiplexed log frames into lines; keeps partial frames and lines for the next chunk. */
export class LogDemuxer {
  private pending: Buffer = Buffer.alloc(0);
  private readonly partial: Record<LogLine['stream'], string> = { stdout: '', stderr: '' };

  push(chunk: Buffer): LogLine[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const out: LogLine[] = [];
    while (this.pending.length >= 8) {
      const type = this.pending[0];
      const size = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + size) break;
      const payload = this.pending.subarray(8, 8 + size).toString('utf8');
      this.pending = this.pending.subarray(8 + size);
      const stream = type === 2 ? 'stderr' : 'stdout';
      const parts = (this.partial[stream] + payload).split(/\r?\n/);
      this.partial[stream] = parts.pop() ?? '';
      for (const text of parts) out.push({ stream, text });
    }
    return out;
  }

  end(): LogLine[] {
    const out: LogLine[] = [];
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.partial[stream]) out.push({ stream, text: this.partial[stream] });
      this.partial[stream] = '';
    }
    return out;
  }
}

/** The last `count` lines a container printed (stdout and stderr interleaved as they came). */
export async function logTail(container: Docker.Container, count = 30): Promise<string[]> {
  try {
    const raw = await container.logs({ stdout: true, stderr: true, follow: false, tail: count });
    const demux = new LogDemuxer();
    return [...demux.push(Buffer.from(raw)), ...demux.end()].map((l) => l.text).slice(-count);
  } catch {
    return []; // the container may be gone already
  }
}

/**
 * Follows a container's output until it stops or `signal` aborts; calls `onLine` for every line.
 * Resolves when the stream ends.
 */
export async function followLogs(
  container: Docker.Container,
  onLine: (line: LogLine) => void,
  options: { readonly since?: number; readonly signal?: AbortSignal } = {},
): Promise<void> {
  const stream = await container.logs({
    stdout: true,
    stderr: true,
    follow: true,
    ...(options.since !== undefined ? { since: options.since } : {}),
    ...(options.signal ? { abortSignal: options.signal } : {}),
  });
  const demux = new LogDemuxer();
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) for (const line of demux.push(chunk)) onLine(line);
  } catch (err) {
    if (!options.signal?.aborted) throw err;
  }
  for (const line of demux.end()) onLine(line);
}

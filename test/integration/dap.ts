/**
 * A minimal Debug Adapter Protocol client for tests: Content-Length framed JSON over a socket
 * (Unix or TCP), requests matched to responses by seq, events kept so that a test can wait for
 * one that arrived before it asked.
 */
import * as net from 'net';

export interface DapMessage {
  readonly seq: number;
  readonly type: 'request' | 'response' | 'event';
  readonly command?: string;
  readonly event?: string;
  readonly success?: boolean;
  readonly message?: string;
  readonly body?: Record<string, unknown>;
}

interface Waiter {
  readonly event: string;
  readonly match: (m: DapMessage) => boolean;
  readonly resolve: (m: DapMessage) => void;
}

export class DapClient {
  private seq = 1;
  private buffer = Buffer.alloc(0);
  private readonly pending = new Map<number, { resolve: (m: DapMessage) => void; reject: (e: Error) => void; command: string }>();
  private readonly events: DapMessage[] = [];
  private readonly waiters = new Set<Waiter>();
  private closedError: Error | undefined;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.drain();
    });
    socket.on('close', () => {
      this.closedError = new Error('the debug adapter closed the connection');
      for (const p of this.pending.values()) p.reject(this.closedError);
      this.pending.clear();
    });
    socket.on('error', () => undefined);
  }

  /** Connects to a Unix socket path or to `{host, port}`. */
  static connect(where: string | { host: string; port: number }): Promise<DapClient> {
    return new Promise((resolve, reject) => {
      const socket = typeof where === 'string' ? net.connect(where) : net.connect(where.port, where.host);
      socket.once('connect', () => {
        resolve(new DapClient(socket));
      });
      socket.once('error', reject);
    });
  }

  /** Sends a request; resolves with its response, rejects when it fails. */
  request(command: string, args?: unknown): Promise<DapMessage> {
    if (this.closedError) return Promise.reject(this.closedError);
    const seq = this.seq++;
    const body = JSON.stringify({ seq, type: 'request', command, ...(args !== undefined ? { arguments: args } : {}) });
    return new Promise((resolve, reject) => {
      this.pending.set(seq, {
        resolve: (m) => {
          if (m.success) resolve(m);
          else reject(new Error(`DAP ${command} failed: ${m.message ?? JSON.stringify(m.body)}`));
        },
        reject,
        command,
      });
      this.socket.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    });
  }

  /** The first event named `event` (already received or to come) that `match` accepts. */
  waitForEvent(event: string, timeoutMs = 60_000, match: (m: DapMessage) => boolean = () => true): Promise<DapMessage> {
    const index = this.events.findIndex((m) => m.event === event && match(m));
    if (index >= 0) return Promise.resolve(this.events.splice(index, 1)[0] as DapMessage);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`no '${event}' event within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter: Waiter = {
        event,
        match,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      };
      this.waiters.add(waiter);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  /**
   * The usual start of a session against debugpy listening: initialize, attach (answered only after
   * configurationDone), breakpoints per file, configurationDone.
   */
  async attach(attachArgs: Record<string, unknown>, breakpoints: Readonly<Record<string, readonly number[]>>): Promise<Map<string, DapMessage>> {
    await this.request('initialize', { clientID: 'pyml-test', adapterID: 'pyml', pathFormat: 'path', linesStartAt1: true, columnsStartAt1: true });
    const attached = this.request('attach', attachArgs);
    await this.waitForEvent('initialized');
    const set = new Map<string, DapMessage>();
    for (const [file, lines] of Object.entries(breakpoints)) {
      set.set(file, await this.request('setBreakpoints', { source: { path: file }, breakpoints: lines.map((line) => ({ line })) }));
    }
    await this.request('configurationDone');
    await attached;
    return set;
  }

  /** The top frame of a stopped thread. */
  async topFrame(threadId: number): Promise<{ id: number; line: number; name: string; source?: { path?: string } }> {
    const trace = await this.request('stackTrace', { threadId, startFrame: 0, levels: 1 });
    const frames = (trace.body?.['stackFrames'] ?? []) as { id: number; line: number; name: string; source?: { path?: string } }[];
    const top = frames[0];
    if (!top) throw new Error(`thread ${threadId} has no frames`);
    return top;
  }

  async evaluate(expression: string, frameId: number): Promise<string> {
    const r = await this.request('evaluate', { expression, frameId, context: 'repl' });
    return String(r.body?.['result']);
  }

  private drain(): void {
    for (;;) {
      const headerEnd = this.buffer.indexOf('\r\n\r\n');
      if (headerEnd < 0) return;
      const header = this.buffer.subarray(0, headerEnd).toString('ascii');
      const length = Number(/Content-Length: *(\d+)/i.exec(header)?.[1] ?? NaN);
      if (!Number.isFinite(length)) throw new Error(`bad DAP header: ${header}`);
      const start = headerEnd + 4;
      if (this.buffer.length < start + length) return;
      const message = JSON.parse(this.buffer.subarray(start, start + length).toString('utf8')) as DapMessage & { request_seq?: number };
      this.buffer = this.buffer.subarray(start + length);
      this.dispatch(message);
    }
  }

  private dispatch(message: DapMessage & { request_seq?: number }): void {
    if (message.type === 'response' && message.request_seq !== undefined) {
      const p = this.pending.get(message.request_seq);
      this.pending.delete(message.request_seq);
      p?.resolve(message);
      return;
    }
    if (message.type === 'event' && message.event) {
      for (const w of this.waiters) {
        if (w.event === message.event && w.match(message)) {
          this.waiters.delete(w);
          w.resolve(message);
          return;
        }
      }
      this.events.push(message);
    }
  }
}

// A minimal LSP client for tests: spawns the compiled server over stdio and speaks JSON-RPC to it.
import * as cp from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { pathToFileURL } from 'url';
import {
  CodeLensRefreshRequest,
  createProtocolConnection,
  PublishDiagnosticsNotification,
  StreamMessageReader,
  StreamMessageWriter,
  type Diagnostic,
  type ProtocolConnection,
} from 'vscode-languageserver-protocol/node';
import { REPO } from './helpers';

/** The server the tests talk to: tsc's output by default, or e.g. dist/server.js via PYML_SERVER_JS. */
export const SERVER_JS = process.env['PYML_SERVER_JS'] ?? path.join(REPO, 'out', 'src', 'server', 'main.js');

export class LspClient {
  private readonly published = new Map<string, Diagnostic[]>();
  private readonly waiters = new Set<() => void>();
  private readonly versions = new Map<string, number>();
  readonly stderr: string[] = [];
  /** How many times the server asked the editor to refresh its code lenses. */
  lensRefreshes = 0;

  private constructor(
    private readonly child: cp.ChildProcessWithoutNullStreams,
    readonly connection: ProtocolConnection,
  ) {
    connection.onNotification(PublishDiagnosticsNotification.type, (p) => {
      this.published.set(p.uri, p.diagnostics);
      for (const w of [...this.waiters]) w();
    });
    connection.onRequest(CodeLensRefreshRequest.type, () => {
      this.lensRefreshes++;
      for (const w of [...this.waiters]) w();
      return null;
    });
    child.stderr.on('data', (d: Buffer) => this.stderr.push(d.toString()));
  }

  /** Waits until `condition` holds, re-checked on every message from the server. */
  until(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!condition()) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`${what}: not within ${timeoutMs} ms\n${this.stderr.join('')}`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  static async start(root: string): Promise<LspClient> {
    if (!fs.existsSync(SERVER_JS)) throw new Error(`${SERVER_JS} does not exist: run \`npm run compile-tests\` first`);
    const child = cp.spawn(process.execPath, [SERVER_JS, '--stdio'], { stdio: 'pipe' });
    const connection = createProtocolConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
    const client = new LspClient(child, connection);
    connection.listen();
    await connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri: null,
      workspaceFolders: [{ uri: pathToFileURL(root).href, name: path.basename(root) }],
      capabilities: { workspace: { workspaceEdit: { documentChanges: true, resourceOperations: ['create'] }, codeLens: { refreshSupport: true } } },
      initializationOptions: { workspaceTrusted: false },
    });
    await connection.sendNotification('initialized', {});
    return client;
  }

  open(file: string, text: string, languageId = file.endsWith('.py') ? 'python' : 'plaintext'): string {
    const uri = pathToFileURL(file).href;
    this.versions.set(uri, 1);
    void this.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version: 1, text } });
    return uri;
  }

  change(uri: string, text: string): void {
    const version = (this.versions.get(uri) ?? 1) + 1;
    this.versions.set(uri, version);
    void this.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ text }] });
  }

  close(uri: string): void {
    void this.connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
  }

  /** Waits until the latest diagnostics published for `uri` satisfy `predicate`. */
  diagnostics(uri: string, predicate: (d: Diagnostic[]) => boolean, timeoutMs = 15_000): Promise<Diagnostic[]> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const latest = this.published.get(uri);
        if (latest && predicate(latest)) {
          this.waiters.delete(check);
          clearTimeout(timer);
          resolve(latest);
        }
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`no matching diagnostics for ${uri} within ${timeoutMs} ms; latest: ${JSON.stringify(this.published.get(uri))}\n${this.stderr.join('')}`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  request<R>(method: string, params: unknown): Promise<R> {
    return this.connection.sendRequest(method, params);
  }

  notify(method: string, params: unknown): void {
    void this.connection.sendNotification(method, params);
  }

  async stop(): Promise<void> {
    try {
      await this.connection.sendRequest('shutdown');
      await this.connection.sendNotification('exit');
    } catch {
      // already gone
    }
    this.connection.dispose();
    if (this.child.exitCode === null) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.child.kill();
          resolve();
        }, 2_000);
        this.child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

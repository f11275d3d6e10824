/**
 * A real PyML runtime server for the panel's tests: `python3 -m pyml serve MODEL --socket PATH`
 * with Debian's python (grpcio, numpy, pandas), ready when ServerReady says so.
 */
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { V2Client } from '../../../src/protocol/v2client';

export const REPO = path.resolve(__dirname, '..', '..', '..', '..');
export const PROTO = path.join(REPO, 'runtime', 'pyml', 'proto', 'grpc_predict_v2.proto');
export const PANEL_FIXTURES = path.join(REPO, 'test', 'fixtures', 'panel');
const PYTHON = process.env['PYML_PYTHON'] ?? process.env['PYML_TEST_PYTHON'] ?? '/usr/bin/python3';

/** Why a live server cannot run here, or undefined when it can. */
export function liveServerUnavailable(): string | undefined {
  const r = spawnSync(PYTHON, ['-c', 'import grpc, numpy, pandas, yaml'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `${PYTHON} lacks grpcio/numpy/pandas/yaml (${(r.stderr || String(r.error)).trim().split('\n').pop() ?? ''})`;
}

export interface LiveServer {
  readonly address: string;
  readonly socket: string;
  readonly log: () => string;
  stop(): Promise<void>;
}

export async function startServer(modelFolder: string, timeoutMs = 30_000): Promise<LiveServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pyml-panel-'));
  const socket = path.join(dir, 'm.sock');
  let output = '';
  const child: ChildProcess = spawn(PYTHON, ['-m', 'pyml', 'serve', modelFolder, '--socket', socket], {
    env: { ...process.env, PYTHONPATH: path.join(REPO, 'runtime'), PYTHONDONTWRITEBYTECODE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      resolve();
    });
  });
  const address = `unix://${socket}`;
  const client = new V2Client(address, { protoPath: PROTO, maxMessageBytes: 64 << 20 });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}):\n${output}`);
      if (Date.now() > deadline) throw new Error(`the server was not ready in ${timeoutMs} ms:\n${output}`);
      const ready = fs.existsSync(socket) && (await client.serverReady({ deadlineMs: 1000 }).catch(() => false));
      if (ready) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  } finally {
    client.close();
  }
  return {
    address,
    socket,
    log: () => output,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

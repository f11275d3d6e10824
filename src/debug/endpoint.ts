/**
 * Waiting for a debug container's debugger to listen: its relay socket exists (Unix transport) or
 * the runtime has said "debugger listening" (TCP transport, where Docker's port proxy accepts
 * before debugpy does). A container that exits meanwhile fails with the tail of its log.
 */
import { promises as fs } from 'fs';
import { ReadinessTimeoutError } from '../container/containerErrors';
import { logTail } from '../container/logs';
import type { ModelContainer } from '../container/modelContainer';
import type { DebugEndpoint } from './spec';

const LISTENING = 'pyml: debugger listening on ';

export async function waitForDebugger(model: ModelContainer, endpoint: DebugEndpoint, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let problem = 'the debugger has not started yet';
  for (;;) {
    if (model.exitInfo) throw await model.exitError('starting', model.exitInfo);
    if (Date.now() > deadline) throw new ReadinessTimeoutError(timeoutMs, problem, await logTail(model.container, 30));
    if (endpoint.kind === 'unix') {
      if (await isSocket(endpoint.path)) return;
      problem = `nothing answers on ${endpoint.path} yet`;
    } else {
      const lines = await logTail(model.container, 200).catch(() => []);
      if (lines.some((l) => l.includes(LISTENING))) return;
      problem = 'the runtime has not said "debugger listening" yet';
    }
    await Promise.race([new Promise((resolve) => setTimeout(resolve, 50)), model.exited]);
  }
}

/**
 * Whether the relay's socket exists. The runtime creates it only once debugpy listens; connecting
 * to test it would open a DAP client session on debugpy's adapter, so it is not done.
 */
function isSocket(socketPath: string): Promise<boolean> {
  return fs.stat(socketPath).then(
    (s) => s.isSocket(),
    () => false,
  );
}

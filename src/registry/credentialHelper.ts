/**
 * Docker's credential helper protocol (docker/docker-credential-helpers): `docker-credential-<name> get`
 * reads a server URL on stdin and writes `{"ServerURL", "Username", "Secret"}` on stdout, or exits
 * non-zero with "credentials not found in native keychain" when it has none for that server.
 */
import { spawn } from 'child_process';

export interface HelperCredentials {
  readonly username: string;
  readonly secret: string;
}

/** What the helper said it does not have (its own words, kept by every helper of the project). */
const NOT_FOUND = /credentials not found/i;

export class CredentialHelperError extends Error {
  override readonly name = 'CredentialHelperError';
}

export interface HelperOptions {
  /** Environment of the helper (PATH finds it); this process's when absent. */
  readonly env?: NodeJS.ProcessEnv;
  /** How long the helper may take (some ask the user to unlock a keychain). */
  readonly timeoutMs?: number;
}

/**
 * Asks `docker-credential-<helper> get` for the credentials of `server`; undefined when it has none.
 * Throws CredentialHelperError (naming the helper and `origin`) when the helper is missing or fails.
 */
export async function helperGet(helper: string, server: string, origin: string, options: HelperOptions = {}): Promise<HelperCredentials | undefined> {
  const program = `docker-credential-${helper}`;
  const { code, stdout, stderr, spawnError } = await runHelper(program, server, options);
  if (spawnError) {
    const missing = (spawnError as NodeJS.ErrnoException).code === 'ENOENT';
    throw new CredentialHelperError(
      missing
        ? `${program} is not on PATH (${origin} names the credential helper '${helper}'): install it, or remove it from that file`
        : `${program} could not be started (${origin}): ${spawnError.message}`,
    );
  }
  if (code === 'timeout') throw new CredentialHelperError(`${program} did not answer within ${(options.timeoutMs ?? 30_000) / 1000} s (${origin})`);
  const said = `${stdout}\n${stderr}`.trim();
  if (code !== 0) {
    if (NOT_FOUND.test(said)) return undefined;
    throw new CredentialHelperError(`${program} get failed for ${server} (exit ${code}; ${origin}): ${said || 'no output'}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    throw new CredentialHelperError(`${program} get answered something that is not JSON for ${server} (${origin}): ${stdout.trim().slice(0, 200)}`);
  }
  const record = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  const username = typeof record['Username'] === 'string' ? record['Username'] : '';
  const secret = typeof record['Secret'] === 'string' ? record['Secret'] : '';
  if (!secret) return undefined;
  return { username, secret };
}

interface HelperRun {
  readonly code: number | 'timeout' | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly spawnError?: Error;
}

function runHelper(program: string, server: string, options: HelperOptions): Promise<HelperRun> {
  return new Promise((resolve) => {
    const child = spawn(program, ['get'], { env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let settled = false;
    const finish = (run: HelperRun): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(run);
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish({ code: 'timeout', stdout, stderr });
    }, options.timeoutMs ?? 30_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err) => {
      finish({ code: null, stdout, stderr, spawnError: err });
    });
    child.on('close', (code) => {
      finish({ code, stdout, stderr });
    });
    // A helper that exits before reading stdin makes this write fail: its exit code says why.
    child.stdin.on('error', () => undefined);
    child.stdin.end(server);
  });
}

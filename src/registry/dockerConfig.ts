/**
 * The credentials Docker itself would use for a registry, read from Docker's own config file the
 * way the docker CLI reads it (docker/cli `cliconfig` and `configfile`):
 * - the file is `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`;
 * - `credHelpers[host]` names the helper for that registry; else `credsStore` names one for all;
 *   a helper is asked through `docker-credential-<name> get` (credentialHelper.ts);
 * - without a helper, `auths[host].auth` is base64 of `user:password` (or `identitytoken`), the key
 *   matched exactly or by its host (`https://host/v1/` counts as `host`).
 */
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { helperGet, type HelperOptions } from './credentialHelper';
import { authKeyOf, hostOfAuthKey } from './reference';

/** What dockerd's push and pull take as X-Registry-Auth (dockerode's `authconfig`). */
export interface AuthConfig {
  readonly serveraddress: string;
  readonly username?: string;
  readonly password?: string;
  readonly identitytoken?: string;
}

export interface RegistryCredentials {
  /** undefined: no credentials (the push goes anonymous, and the registry decides). */
  readonly auth: AuthConfig | undefined;
  /** Where they came from, for messages: `auths["127.0.0.1:5000"] in /root/.docker/config.json`. */
  readonly source: string;
}

export interface DockerConfigEnv {
  readonly env?: NodeJS.ProcessEnv;
  readonly home?: string;
  /** For the credential helper (PATH, timeout). */
  readonly helper?: HelperOptions;
}

export class DockerConfigError extends Error {
  override readonly name = 'DockerConfigError';
}

/** The config file the docker CLI reads: `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`. */
export function dockerConfigPath(options: DockerConfigEnv = {}): string {
  const env = options.env ?? process.env;
  const dir = env['DOCKER_CONFIG'] || path.join(options.home ?? os.homedir(), '.docker');
  return path.join(dir, 'config.json');
}

interface AuthEntry {
  readonly auth?: string;
  readonly username?: string;
  readonly password?: string;
  readonly identitytoken?: string;
}

interface ConfigFile {
  readonly auths: Readonly<Record<string, AuthEntry>>;
  readonly credsStore: string | undefined;
  readonly credHelpers: Readonly<Record<string, string>>;
}

/** Reads and checks the config file; undefined when there is none. */
export async function readDockerConfig(file: string): Promise<ConfigFile | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new DockerConfigError(`cannot read Docker's config ${file}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new DockerConfigError(`Docker's config ${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new DockerConfigError(`Docker's config ${file} is not a JSON object`);
  const record = parsed as Record<string, unknown>;
  const auths: Record<string, AuthEntry> = {};
  for (const [key, value] of Object.entries(objectField(record, 'auths', file))) {
    if (typeof value !== 'object' || value === null) continue;
    const v = value as Record<string, unknown>;
    const str = (name: string): Partial<Record<string, string>> => (typeof v[name] === 'string' && v[name] ? { [name]: v[name] } : {});
    auths[key] = { ...str('auth'), ...str('username'), ...str('password'), ...str('identitytoken') };
  }
  const credHelpers: Record<string, string> = {};
  for (const [key, value] of Object.entries(objectField(record, 'credHelpers', file))) {
    if (typeof value === 'string' && value) credHelpers[key] = value;
  }
  const store = record['credsStore'];
  return { auths, credHelpers, credsStore: typeof store === 'string' && store ? store : undefined };
}

function objectField(record: Record<string, unknown>, name: string, file: string): Record<string, unknown> {
  const value = record[name];
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new DockerConfigError(`'${name}' in Docker's config ${file} is not an object`);
  return value as Record<string, unknown>;
}

/**
 * The credentials for a registry host, found as the docker CLI finds them. Throws DockerConfigError
 * (a bad file, a bad `auth` value) or CredentialHelperError (a helper missing or failing).
 */
export async function registryCredentials(host: string, options: DockerConfigEnv = {}): Promise<RegistryCredentials> {
  const file = dockerConfigPath(options);
  const config = await readDockerConfig(file);
  const key = authKeyOf(host);
  if (!config) return { auth: undefined, source: `no Docker config at ${file}` };
  const helper = config.credHelpers[key] ?? config.credHelpers[host];
  const store = helper ?? config.credsStore;
  if (store) {
    const origin = helper ? `credHelpers["${key}"] in ${file}` : `credsStore in ${file}`;
    const found = await helperGet(store, key, origin, options.helper);
    const source = `docker-credential-${store} (${origin})`;
    if (!found) return { auth: undefined, source: `${source}, which has none for ${key}` };
    // Helpers return an identity token (OAuth refresh token) under the user name `<token>`.
    const auth: AuthConfig =
      found.username === '<token>'
        ? { serveraddress: host, identitytoken: found.secret }
        : { serveraddress: host, username: found.username, password: found.secret };
    return { auth, source };
  }
  const matchKey = key in config.auths ? key : Object.keys(config.auths).find((k) => hostOfAuthKey(k) === hostOfAuthKey(key));
  const entry = matchKey === undefined ? undefined : config.auths[matchKey];
  if (matchKey === undefined || !entry) return { auth: undefined, source: `no entry for ${key} in ${file}` };
  const source = `auths["${matchKey}"] in ${file}`;
  return { auth: authOfEntry(entry, host, source), source };
}

function authOfEntry(entry: AuthEntry, host: string, source: string): AuthConfig | undefined {
  if (entry.identitytoken) return { serveraddress: host, identitytoken: entry.identitytoken };
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) throw new DockerConfigError(`${source}: 'auth' is not base64 of user:password`);
    return { serveraddress: host, username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (entry.username && entry.password) return { serveraddress: host, username: entry.username, password: entry.password };
  return undefined;
}

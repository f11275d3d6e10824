/**
 * Where a model image is published: the `pyml.registry` setting (`registry.example.com/team`) read
 * the way Docker reads an image name, the repository of a model under it, and the two tags a publish
 * pushes (the manifest version, and the content digest).
 */

/** Docker Hub: the registry of names whose first part is not a host. */
export const DOCKER_HUB = 'docker.io';
/** The key Docker's own config files use for Docker Hub's credentials. */
export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';

export interface RegistryTarget {
  /** The registry host as dockerd dials it (`registry.example.com`, `127.0.0.1:5000`, `docker.io`). */
  readonly host: string;
  /** The path under the host (`team`, `org/ml`), '' for none. */
  readonly namespace: string;
}

/**
 * Reads the `pyml.registry` setting: `HOST[:PORT][/PATH]` (a scheme is allowed and ignored), or a
 * Docker Hub namespace (`myuser`). Throws an Error that says what is wrong with it.
 */
export function parseRegistry(setting: string): RegistryTarget {
  const text = setting.trim().replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, '');
  if (!text) throw new Error('pyml.registry is empty: set it to the registry and path to publish to, e.g. registry.example.com/team');
  const parts = text.split('/');
  const first = parts[0] ?? '';
  // Docker's rule: the first part is a host when it has a dot, a port, or is localhost.
  const isHost = first.includes('.') || first.includes(':') || first === 'localhost';
  const host = isHost ? first.toLowerCase() : DOCKER_HUB;
  const path = (isHost ? parts.slice(1) : parts).join('/');
  if (isHost && !/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?$/.test(host) && !/^\[[0-9a-f:]+\](:[0-9]{1,5})?$/.test(host)) {
    throw new Error(`pyml.registry '${setting}': '${first}' is not a registry host (expected e.g. registry.example.com or 127.0.0.1:5000)`);
  }
  for (const component of path ? path.split('/') : []) {
    if (!/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/.test(component)) {
      throw new Error(
        `pyml.registry '${setting}': '${component}' is not a valid repository path component (lowercase letters, digits, and . _ - between them)`,
      );
    }
  }
  if (!isHost && !path) throw new Error(`pyml.registry '${setting}' names no registry`);
  return { host, namespace: path };
}

/** `registry.example.com/team/churn`: the model's repository under the registry (model name made valid). */
export function repositoryOf(target: RegistryTarget, modelName: string): string {
  const model = modelName.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[._-]+|[._-]+$/g, '') || 'model';
  return [target.host, target.namespace, model].filter(Boolean).join('/');
}

/** The manifest version as a tag (Docker's tag grammar: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`). */
export function versionTag(version: string): string {
  return version.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[.-]+/, '').slice(0, 128) || 'latest';
}

/**
 * The content tag of an image: its image id (`sha256:<hex>`, the digest of its config, which names
 * its layers) as `sha256-<hex>`, since a tag cannot hold a colon (the convention cosign uses too).
 */
export function digestTag(imageId: string): string {
  const m = /^sha256:([0-9a-f]{64})$/.exec(imageId);
  if (!m) throw new Error(`'${imageId}' is not an image id (sha256:<64 hex digits>)`);
  return `sha256-${m[1] ?? ''}`;
}

/** The host whose credentials Docker's config holds, as its files key them (Docker Hub has a URL key). */
export function authKeyOf(host: string): string {
  return host === DOCKER_HUB || host === 'index.docker.io' || host === 'registry-1.docker.io' ? DOCKER_HUB_AUTH_KEY : host;
}

/**
 * The host of a key in `auths` (`https://host/v1/` → `host`), as the docker CLI compares them
 * (ConvertToHostname in docker/cli).
 */
export function hostOfAuthKey(key: string): string {
  const withoutScheme = key.replace(/^https?:\/\//i, '');
  return (withoutScheme.split('/')[0] ?? '').toLowerCase();
}

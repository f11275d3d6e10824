// A real registry for the Publish Image tests: Debian's docker-registry (Distribution 2.8) and
// htpasswd (apache2-utils, bcrypt entries). The tests start the registry themselves on 127.0.0.1 with
// their own storage; the package's system service must never start.
import fs from 'node:fs';
import { ensurePackages, hasApt, isRoot, missingPackages } from './apt.mjs';
import { info } from './log.mjs';

export const REGISTRY_PACKAGES = Object.freeze(['docker-registry', 'apache2-utils']);

/** The policy file invoke-rc.d and deb-systemd-invoke ask before starting a service. */
const POLICY_RC = '/usr/sbin/policy-rc.d';

/**
 * Installs docker-registry and apache2-utils when missing. Its postinst starts the registry as a
 * service on :5000 where nothing forbids it: a policy-rc.d that denies every start (exit 101) is put
 * in place for the install when the machine has none, and removed after.
 */
export async function ensureRegistryPackages() {
  if (!hasApt()) return ensurePackages(REGISTRY_PACKAGES, 'the registry of the Publish Image tests');
  const missing = await missingPackages(REGISTRY_PACKAGES);
  if (missing.length === 0) {
    info('docker-registry and htpasswd for the Publish Image tests already installed');
    return [];
  }
  const ownPolicy = isRoot() && !fs.existsSync(POLICY_RC);
  if (ownPolicy) fs.writeFileSync(POLICY_RC, '#!/bin/sh\n# Written by PyML setup while it installs docker-registry: no service starts.\nexit 101\n', { mode: 0o755 });
  try {
    return await ensurePackages(REGISTRY_PACKAGES, 'the registry of the Publish Image tests');
  } finally {
    if (ownPolicy) fs.rmSync(POLICY_RC, { force: true });
  }
}

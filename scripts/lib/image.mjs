// The test base image: a Debian root filesystem from the apt mirror (debootstrap), imported into Docker.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ensurePackages, hasApt, isRoot } from './apt.mjs';
import { SetupError, info } from './log.mjs';
import { baseImageTag, cacheDir, logsDir } from './paths.mjs';
import { mustRun, run } from './proc.mjs';

/** Debian release of the base image. */
export const BASE_SUITE = 'bookworm';

/**
 * Debian packages in the test base image. Changing this list rebuilds the image (its hash is a label).
 * python3-torch (bookworm: 1.13.1, CPU only) is there for the PyTorch templates; it adds about 1 GB.
 * python3-debugpy is for debugging a model in its container, python3-distributed for cluster batch runs.
 */
export const BASE_PACKAGES = Object.freeze([
  'python3', 'python3-grpcio', 'python3-protobuf', 'python3-numpy', 'python3-pandas', 'python3-yaml',
  'python3-pip', 'python3-sklearn', 'python3-joblib', 'python3-pytest', 'python3-torch',
  'python3-debugpy', 'python3-distributed',
  // debugpy needs gdb, which needs libboost-regex1.74.0-icu72: a virtual package debootstrap does not resolve.
  'libboost-regex1.74.0',
]);

/** Python modules the image must import; checked after a build. */
const SMOKE_IMPORTS = ['grpc', 'google.protobuf', 'numpy', 'pandas', 'yaml', 'sklearn', 'joblib', 'pytest', 'torch', 'debugpy', 'distributed'];

const LABEL_HASH = 'org.pyml.base.hash';
const LABEL_PACKAGES = 'org.pyml.base.packages';

/** Hash of what goes into the image; a different hash means the image must be rebuilt. */
export function baseImageHash(packages = BASE_PACKAGES) {
  const recipe = JSON.stringify({ suite: BASE_SUITE, variant: 'minbase', packages: [...packages].sort(), recipe: 1 });
  return crypto.createHash('sha256').update(recipe).digest('hex').slice(0, 16);
}

/**
 * The mirror URI of the apt sources for Debian's main archive (deb822 or one-line format).
 * @returns {string}
 */
export function debianMirror() {
  const deb822 = '/etc/apt/sources.list.d/debian.sources';
  if (fs.existsSync(deb822)) {
    for (const stanza of fs.readFileSync(deb822, 'utf8').split(/\n\s*\n/)) {
      const field = (/** @type {string} */ name) => stanza.match(new RegExp(`^${name}:\\s*(.+)$`, 'mi'))?.[1]?.trim();
      const suites = (field('Suites') ?? '').split(/\s+/);
      const uri = field('URIs')?.split(/\s+/)[0];
      if (uri && suites.includes(BASE_SUITE) && (field('Types') ?? 'deb').split(/\s+/).includes('deb')) return uri;
    }
  }
  const oneLine = '/etc/apt/sources.list';
  if (fs.existsSync(oneLine)) {
    for (const line of fs.readFileSync(oneLine, 'utf8').split('\n')) {
      const m = line.match(/^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+bookworm\s/);
      if (m?.[1]) return m[1];
    }
  }
  return 'http://deb.debian.org/debian';
}

/**
 * Builds `pyml-base:bookworm` unless an image with the same package-list hash exists.
 * @param {import('./docker.mjs').DockerEngine} engine
 */
export async function ensureBaseImage(engine) {
  const hash = baseImageHash();
  const inspect = await run(engine.cli, ['image', 'inspect', baseImageTag, '--format', `{{.Id}} {{index .Config.Labels "${LABEL_HASH}"}}`]);
  const [oldId, oldHash] = inspect.code === 0 ? inspect.stdout.trim().split(' ') : [];
  if (oldHash === hash) {
    info(`${baseImageTag} is up to date (packages hash ${hash})`);
    return;
  }
  info(oldId ? `${baseImageTag} was built from another package list: rebuilding` : `${baseImageTag} is missing: building it`);
  if (!hasApt() || !isRoot()) {
    throw new SetupError(`Building ${baseImageTag} needs debootstrap as root on Debian. On this machine, build it by hand on a Debian host:\n`
      + `  sudo debootstrap --variant=minbase --include=${BASE_PACKAGES.join(',')} ${BASE_SUITE} ROOTFS http://deb.debian.org/debian\n`
      + `  sudo tar -C ROOTFS -c . | docker import --change 'LABEL ${LABEL_HASH}=${hash}' - ${baseImageTag}`);
  }
  await ensurePackages(['debootstrap'], 'the test base image', { recommends: true }); // gnupg, keyring
  const rootfs = path.join(cacheDir, 'base-rootfs');
  fs.rmSync(rootfs, { recursive: true, force: true });
  fs.mkdirSync(logsDir, { recursive: true });
  const mirror = debianMirror();
  info(`debootstrap ${BASE_SUITE} from ${mirror} with ${BASE_PACKAGES.length} packages (log: .cache/logs/debootstrap.log)`);
  await mustRun('debootstrap', ['--variant=minbase', `--include=${BASE_PACKAGES.join(',')}`, BASE_SUITE, rootfs, mirror], {
    logFile: path.join(logsDir, 'debootstrap.log'), heartbeatMs: 20_000, timeoutMs: 20 * 60_000,
    show: (line) => /^I: (Retrieving Release|Resolving|Found additional|Checking|Installing core|Base system installed)/.test(line)
      || /^[EW]: /.test(line),
  });
  // The downloaded .deb files are not needed in the image.
  for (const f of fs.readdirSync(path.join(rootfs, 'var/cache/apt/archives'))) {
    if (f.endsWith('.deb')) fs.rmSync(path.join(rootfs, 'var/cache/apt/archives', f));
  }
  info(`docker import -> ${baseImageTag}`);
  await importRootfs(engine.cli, rootfs, [
    `LABEL ${LABEL_HASH}=${hash}`,
    `LABEL ${LABEL_PACKAGES}=${BASE_PACKAGES.join(',')}`,
    'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    'ENV LANG=C.UTF-8',
    'CMD ["python3"]',
  ]);
  fs.rmSync(rootfs, { recursive: true, force: true });
  const smoke = `import ${SMOKE_IMPORTS.join(', ')}; import sys; print(sys.version.split()[0])`;
  const check = await mustRun(engine.cli, ['run', '--rm', '--network', 'none', baseImageTag, 'python3', '-c', smoke], { timeoutMs: 120_000 });
  info(`${baseImageTag} built: Python ${check.stdout.trim()}, imports ${SMOKE_IMPORTS.join(' ')} work`);
  if (oldId) await run(engine.cli, ['image', 'rm', oldId]); // the replaced image; kept if a container still uses it
}

/**
 * `tar -C rootfs -c . | docker import --change ... - tag`
 * @param {string} cli
 * @param {string} rootfs
 * @param {string[]} changes
 */
function importRootfs(cli, rootfs, changes) {
  return new Promise((resolve, reject) => {
    const tar = spawn('tar', ['--numeric-owner', '-C', rootfs, '-c', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const imp = spawn(cli, ['import', ...changes.flatMap((c) => ['--change', c]), '-', baseImageTag], { stdio: ['pipe', 'pipe', 'pipe'] });
    let errors = '';
    tar.stderr.on('data', (c) => { errors += c; });
    imp.stderr.on('data', (c) => { errors += c; });
    tar.stdout.pipe(imp.stdin);
    /** @type {(number | null)[]} */
    const codes = [];
    const done = () => {
      if (codes.length < 2) return;
      if (codes.every((c) => c === 0)) resolve(undefined);
      else reject(new Error(`tar | docker import failed (exit codes ${codes.join(', ')}):\n${errors.trim()}`));
    };
    tar.on('close', (code) => { codes.push(code); done(); });
    imp.on('close', (code) => { codes.push(code); done(); });
  });
}

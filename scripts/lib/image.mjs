// The test base images: Debian root filesystems from the apt mirror (debootstrap), imported into Docker.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ensurePackages, hasApt, isRoot } from './apt.mjs';
import { SetupError, info, step } from './log.mjs';
import { baseImageTag, cacheDir, logsDir, trixieImageTag } from './paths.mjs';
import { mustRun, run } from './proc.mjs';

/**
 * @typedef {object} BaseImage
 * @property {string} suite      Debian release given to debootstrap
 * @property {string} tag        Docker tag of the imported image
 * @property {string[]} extra    packages this suite needs on top of BASE_PACKAGES
 */

/**
 * Debian packages in the test base images. Changing this list rebuilds the images (its hash is a label).
 * Both images carry the same list, so every template and test meets the same frameworks on both stacks.
 * python3-torch (bookworm 1.13.1, trixie 2.6, CPU only) is there for the PyTorch templates; it adds about 1 GB.
 * python3-debugpy is for debugging a model in its container, python3-distributed for cluster batch runs.
 */
export const BASE_PACKAGES = Object.freeze([
  'python3', 'python3-grpcio', 'python3-protobuf', 'python3-numpy', 'python3-pandas', 'python3-yaml',
  'python3-pip', 'python3-sklearn', 'python3-joblib', 'python3-pytest', 'python3-torch',
  'python3-debugpy', 'python3-distributed',
]);

/**
 * The test base images: Debian 12 (Python 3.11, numpy 1.24, pandas 1.5, torch 1.13) and Debian 13
 * (Python 3.13, numpy 2.2, pandas 2.2, torch 2.6), the old and the new stack a model meets.
 * debootstrap does not resolve virtual packages, so their providers are named explicitly: trixie's
 * python3-grpcio needs libre2-11-absl20240722 (libre2-11); python3-debugpy needs python3-pydevd, which
 * needs gdb, which needs libboost-regex1.74.0-icu72 on bookworm (libboost-regex1.74.0) and
 * libboost-regex1.83.0-icu76 on trixie (libboost-regex1.83.0).
 * @type {readonly BaseImage[]}
 */
export const BASE_IMAGES = Object.freeze([
  { suite: 'bookworm', tag: baseImageTag, extra: ['libboost-regex1.74.0'] },
  { suite: 'trixie', tag: trixieImageTag, extra: ['libre2-11', 'libboost-regex1.83.0'] },
]);

/** Python modules the image must import; checked after a build. */
const SMOKE_IMPORTS = ['grpc', 'google.protobuf', 'numpy', 'pandas', 'yaml', 'sklearn', 'joblib', 'pytest', 'torch', 'debugpy', 'distributed'];

const LABEL_HASH = 'org.pyml.base.hash';
const LABEL_PACKAGES = 'org.pyml.base.packages';

/** @param {BaseImage} image */
function packagesOf(image) {
  return [...BASE_PACKAGES, ...image.extra];
}

/**
 * Hash of what goes into an image; a different hash means the image must be rebuilt.
 * @param {string} [suite]
 * @param {readonly string[]} [packages]
 */
export function baseImageHash(suite = 'bookworm', packages = BASE_PACKAGES) {
  const recipe = JSON.stringify({ suite, variant: 'minbase', packages: [...packages].sort(), recipe: 1 });
  return crypto.createHash('sha256').update(recipe).digest('hex').slice(0, 16);
}

/**
 * The mirror URI of the apt sources for Debian's main archive (deb822 or one-line format): the
 * stanza that lists a plain release name (not -security or -updates). The mirror serves every
 * release, so bookworm's sources are good for trixie too.
 * @returns {string}
 */
export function debianMirror() {
  const release = /^[a-z]+$/;
  const deb822 = '/etc/apt/sources.list.d/debian.sources';
  if (fs.existsSync(deb822)) {
    for (const stanza of fs.readFileSync(deb822, 'utf8').split(/\n\s*\n/)) {
      const field = (/** @type {string} */ name) => stanza.match(new RegExp(`^${name}:\\s*(.+)$`, 'mi'))?.[1]?.trim();
      const suites = (field('Suites') ?? '').split(/\s+/);
      const uri = field('URIs')?.split(/\s+/)[0];
      if (uri && suites.some((s) => release.test(s)) && (field('Types') ?? 'deb').split(/\s+/).includes('deb')) return uri;
    }
  }
  const oneLine = '/etc/apt/sources.list';
  if (fs.existsSync(oneLine)) {
    for (const line of fs.readFileSync(oneLine, 'utf8').split('\n')) {
      const m = line.match(/^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+[a-z]+\s/);
      if (m?.[1]) return m[1];
    }
  }
  return 'http://deb.debian.org/debian';
}

/**
 * Builds every test base image that is missing or out of date, side by side (debootstrap spends
 * much of its time waiting on downloads and dpkg, so two in parallel take far less than two in a row).
 * @param {import('./docker.mjs').DockerEngine} engine
 * @param {readonly BaseImage[]} [images]
 */
export async function ensureBaseImages(engine, images = BASE_IMAGES) {
  const settled = await Promise.allSettled(images.map((image) => step(`image ${image.suite}`, () => ensureBaseImage(engine, image))));
  const failed = settled.filter((s) => s.status === 'rejected');
  if (failed.length) throw failed[0]?.reason;
}

/**
 * Builds one base image unless an image with the same package-list hash exists.
 * @param {import('./docker.mjs').DockerEngine} engine
 * @param {BaseImage} image
 */
export async function ensureBaseImage(engine, image) {
  const { suite, tag } = image;
  const packages = packagesOf(image);
  const hash = baseImageHash(suite, packages);
  const inspect = await run(engine.cli, ['image', 'inspect', tag, '--format', `{{.Id}} {{index .Config.Labels "${LABEL_HASH}"}}`]);
  const [oldId, oldHash] = inspect.code === 0 ? inspect.stdout.trim().split(' ') : [];
  if (oldHash === hash) {
    info(`${tag} is up to date (packages hash ${hash})`);
    return;
  }
  info(oldId ? `${tag} was built from another package list: rebuilding` : `${tag} is missing: building it`);
  if (!hasApt() || !isRoot()) {
    throw new SetupError(`Building ${tag} needs debootstrap as root on Debian. On this machine, build it by hand on a Debian host:\n`
      + `  sudo debootstrap --variant=minbase --include=${packages.join(',')} ${suite} ROOTFS http://deb.debian.org/debian\n`
      + `  sudo tar -C ROOTFS -c . | docker import --change 'LABEL ${LABEL_HASH}=${hash}' - ${tag}`);
  }
  await ensurePackages(['debootstrap'], 'the test base image', { recommends: true }); // gnupg, keyring
  const rootfs = path.join(cacheDir, `base-rootfs-${suite}`);
  await removeRootfs(rootfs);
  fs.mkdirSync(logsDir, { recursive: true });
  const mirror = debianMirror();
  const logName = `debootstrap-${suite}.log`;
  info(`debootstrap ${suite} from ${mirror} with ${packages.length} packages (log: .cache/logs/${logName})`);
  await mustRun('debootstrap', ['--variant=minbase', `--include=${packages.join(',')}`, suite, rootfs, mirror], {
    logFile: path.join(logsDir, logName), heartbeatMs: 30_000, timeoutMs: 45 * 60_000, // 20 min on a busy 2-core machine
    show: (line) => /^I: (Retrieving Release|Resolving|Found additional|Checking|Installing core|Base system installed)/.test(line)
      || /^[EW]: /.test(line),
  });
  // The downloaded .deb files are not needed in the image.
  for (const f of fs.readdirSync(path.join(rootfs, 'var/cache/apt/archives'))) {
    if (f.endsWith('.deb')) fs.rmSync(path.join(rootfs, 'var/cache/apt/archives', f));
  }
  info(`docker import -> ${tag}`);
  await importRootfs(engine.cli, rootfs, tag, [
    `LABEL ${LABEL_HASH}=${hash}`,
    `LABEL ${LABEL_PACKAGES}=${packages.join(',')}`,
    'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    'ENV LANG=C.UTF-8',
    'CMD ["python3"]',
  ]);
  await removeRootfs(rootfs);
  const smoke = `import ${SMOKE_IMPORTS.join(', ')}; import sys; print(sys.version.split()[0], numpy.__version__, pandas.__version__)`;
  const check = await mustRun(engine.cli, ['run', '--rm', '--network', 'none', tag, 'python3', '-c', smoke], { timeoutMs: 120_000 });
  const [py, np, pd] = check.stdout.trim().split(' ');
  info(`${tag} built: Python ${py}, numpy ${np}, pandas ${pd}; imports ${SMOKE_IMPORTS.join(' ')} work`);
  if (oldId) await run(engine.cli, ['image', 'rm', oldId]); // the replaced image; kept if a container still uses it
}

/**
 * Removes a root filesystem folder, first unmounting what an interrupted debootstrap left mounted in
 * it (/proc, /sys): removing through a live mount fails with EBUSY, or worse, reaches the host's files.
 * @param {string} rootfs
 */
async function removeRootfs(rootfs) {
  const mounts = fs.readFileSync('/proc/mounts', 'utf8').split('\n')
    .map((line) => line.split(' ')[1]?.replace(/\\040/g, ' ') ?? '')
    .filter((m) => m === rootfs || m.startsWith(`${rootfs}/`))
    .sort((a, b) => b.length - a.length); // innermost first
  for (const m of mounts) await mustRun('umount', [m]);
  fs.rmSync(rootfs, { recursive: true, force: true });
}

/**
 * `tar -C rootfs -c . | docker import --change ... - tag`
 * @param {string} cli
 * @param {string} rootfs
 * @param {string} tag
 * @param {string[]} changes
 */
function importRootfs(cli, rootfs, tag, changes) {
  return new Promise((resolve, reject) => {
    const tar = spawn('tar', ['--numeric-owner', '-C', rootfs, '-c', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const imp = spawn(cli, ['import', ...changes.flatMap((c) => ['--change', c]), '-', tag], { stdio: ['pipe', 'pipe', 'pipe'] });
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

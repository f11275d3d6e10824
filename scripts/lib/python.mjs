// Host Python for the runtime tests: Debian's /usr/bin/python3 with apt packages.
import { ensurePackages, hasApt } from './apt.mjs';
import { SetupError, info } from './log.mjs';
import { hostPython } from './paths.mjs';
import { run, which } from './proc.mjs';
import { ensureRegistryPackages } from './registry.mjs';

/**
 * apt packages the host-side Python tests need (protoc generates the runtime's gRPC stubs; mypy type-checks
 * the runtime in `npm run check`; debugpy for the runtime's debugger relay test).
 */
export const HOST_PACKAGES = Object.freeze([
  'python3-grpcio', 'python3-protobuf', 'python3-numpy', 'python3-pandas', 'python3-yaml', 'python3-pytest', 'protobuf-compiler',
  'python3-mypy', 'python3-debugpy',
]);
const IMPORTS = ['grpc', 'google.protobuf', 'numpy', 'pandas', 'yaml', 'pytest'];

export async function ensureHostPython() {
  if (hasApt()) await ensurePackages(HOST_PACKAGES, 'the host Python tests');
  // The Publish Image integration test's registry (started by the test itself, never as a service).
  if (hasApt()) await ensureRegistryPackages();
  const probe = await run(hostPython, ['-c', `import ${IMPORTS.join(', ')}, sys; print(sys.version.split()[0])`]);
  if (probe.code !== 0) {
    throw new SetupError(`${hostPython} cannot import ${IMPORTS.join(', ')}:\n${probe.stderr.trim()}\n`
      + 'Install them (Debian: apt-get install -y python3-grpcio python3-protobuf python3-numpy python3-pandas python3-yaml python3-pytest),\n'
      + 'or point PYML_PYTHON at a Python that has them.');
  }
  if (!which('protoc')) throw new SetupError('protoc is missing: install protobuf-compiler (Debian) or protobuf (Homebrew).');
  info(`${hostPython}: Python ${probe.stdout.trim()} with ${IMPORTS.join(' ')}; protoc found`);
}

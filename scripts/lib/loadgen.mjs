// The serving bench's load generator: h2load (nghttp2's HTTP/2 benchmarking tool, Debian's nghttp2-client).
import { ensurePackages, hasApt } from './apt.mjs';
import { SetupError, info } from './log.mjs';
import { which } from './proc.mjs';

export async function ensureLoadGenerator() {
  if (hasApt()) await ensurePackages(['nghttp2-client'], "the serving bench's load generator (h2load)");
  const h2load = which('h2load');
  if (!h2load) throw new SetupError('h2load is missing: install nghttp2-client (Debian) or nghttp2 (Homebrew).');
  info(`h2load: ${h2load}`);
}

// Chromium for the tests: Debian's package driven by playwright-core (never a downloaded browser).
import fs from 'node:fs';
import { ensurePackages, hasApt } from './apt.mjs';
import { SetupError, info } from './log.mjs';
import { which } from './proc.mjs';

/** Launch flags that work in our machines' containers (MACHINE.md). */
export const CHROMIUM_ARGS = Object.freeze([
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
]);

/** The Chromium executable: PYML_CHROMIUM, else Debian's, else a Chrome/Chromium on PATH. */
export function chromiumPath() {
  const candidates = [process.env.PYML_CHROMIUM, '/usr/bin/chromium', 'chromium', 'chromium-browser', 'google-chrome',
    '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome'];
  for (const c of candidates) {
    if (!c) continue;
    const found = c.startsWith('/') ? (fs.existsSync(c) ? c : undefined) : which(c);
    if (found) return found;
  }
  return undefined;
}

/** Installs Debian's chromium when no browser is found. */
export async function ensureChromium() {
  const found = chromiumPath();
  if (found) {
    info(`browser: ${found}`);
    return found;
  }
  if (!hasApt()) throw new SetupError('No Chromium or Chrome found: install one, or set PYML_CHROMIUM to its executable.');
  await ensurePackages(['chromium'], 'the browser the UI tests drive', { recommends: true });
  const installed = chromiumPath();
  if (!installed) throw new SetupError('chromium was installed but /usr/bin/chromium is missing.');
  return installed;
}

/**
 * Launches Chromium with a fresh profile in `userDataDir`.
 * @param {string} userDataDir
 * @param {{ headless?: boolean }} [opts]
 */
export async function launchChromium(userDataDir, opts = {}) {
  const executablePath = chromiumPath();
  if (!executablePath) throw new SetupError('No Chromium found: run `npm run setup -- --only chromium`.');
  const { chromium } = await import('playwright-core');
  fs.rmSync(userDataDir, { recursive: true, force: true });
  // Chromium keeps crash reports under XDG_CONFIG_HOME whatever the profile: keep them in the profile.
  const xdg = `${userDataDir}-xdg`;
  fs.rmSync(xdg, { recursive: true, force: true });
  return chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: opts.headless ?? true,
    args: [...CHROMIUM_ARGS],
    env: { ...process.env, XDG_CONFIG_HOME: `${xdg}/config`, XDG_CACHE_HOME: `${xdg}/cache` },
    viewport: { width: 1400, height: 900 },
  });
}

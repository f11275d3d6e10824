// The panel's own page (same HTML, CSP with a nonce, bundle dist/webview.js) served to Chromium and
// bridged to a real PanelSession (compiled to out/); only VS Code's postMessage bridge is stood in.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { repoRoot } from '../../../scripts/lib/paths.mjs';

const require = createRequire(import.meta.url);
const out = (/** @type {string} */ p) => path.join(repoRoot, 'out', p);
const { PanelSession } = require(out('src/predict/session.js'));
const { panelHtml } = require(out('src/predict/html.js'));
const { saveSample } = require(out('src/predict/samples.js'));
const { PROTO } = require(out('test/unit/predict/liveServer.js'));



/**
 * Serves the panel page and bridges it to a PanelSession.
 * @param {import('playwright-core').BrowserContext} browser
 * @param {string} modelFolder
 */
export async function openPanelPage(browser, modelFolder) {
  const files = {
    '/dist/webview.js': path.join(repoRoot, 'dist', 'webview.js'),
    '/media/predict/panel.css': path.join(repoRoot, 'media', 'predict', 'panel.css'),
  };
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    if (url === '/') {
      const nonce = randomBytes(16).toString('hex');
      const origin = `http://${req.headers.host}`;
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(panelHtml({ cspSource: origin, nonce, script: `${origin}/dist/webview.js`, css: `${origin}/media/predict/panel.css` }));
      return;
    }
    const file = /** @type {Record<string, string>} */ (files)[url];
    if (!file) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': url.endsWith('.css') ? 'text/css' : 'text/javascript' });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const port = /** @type {import('node:net').AddressInfo} */ (server.address()).port;

  const page = await browser.newPage();
  /** @type {string[]} */
  const violations = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/.test(m.text())) violations.push(m.text());
  });
  const host = {
    opened: /** @type {{ file: string, line: number | undefined }[]} */ ([]),
    logs: /** @type {unknown[]} */ ([]),
    nextFile: /** @type {string | undefined} */ (undefined),
    post: (/** @type {unknown} */ message) => {
      void page.evaluate((m) => window.postMessage(m, '*'), message).catch(() => undefined);
    },
    log: { info: (/** @type {unknown} */ m) => host.logs.push(m), warn: (/** @type {unknown} */ m) => host.logs.push(m), error: (/** @type {unknown} */ m) => host.logs.push(m) },
    listTargets: async () => ({ targets: [] }),
    pickInputFile: async () => host.nextFile,
    openFile: async (/** @type {string} */ file, /** @type {number | undefined} */ line) => {
      host.opened.push({ file, line });
    },
    copy: async () => undefined,
    modelFolder: async () => modelFolder,
    writeSample: (/** @type {string} */ folder, /** @type {string} */ name, /** @type {string} */ json) => saveSample(folder, name, json),
    settings: () => ({ protoPath: PROTO, maxMessageBytes: 512 << 20, timeoutMs: 120_000 }),
    ranModel: /** @type {(string | undefined)[]} */ ([]),
    /** @param {string} folder */
    modelSample: async (folder) => {
      const file = path.join(folder, 'samples', 'example.json');
      return fs.existsSync(file) ? file : undefined;
    },
    /** @param {string | undefined} folder */
    runModel: async (folder) => {
      host.ranModel.push(folder);
    },
  };
  const session = new PanelSession(host);
  await page.exposeFunction('__pymlToExtension', (/** @type {unknown} */ m) => session.receive(m));
  await page.addInitScript(() => {
    let state = /** @type {unknown} */ ({});
    // @ts-expect-error the stand-in for VS Code's webview API
    window.acquireVsCodeApi = () => ({
      // @ts-expect-error exposed by Playwright
      postMessage: (m) => window.__pymlToExtension(m),
      getState: () => state,
      setState: (/** @type {unknown} */ s) => {
        state = s;
      },
    });
  });
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.locator('[data-testid="send"]').waitFor();
  return {
    page,
    host,
    session,
    violations,
    close: async () => {
      session.dispose();
      await page.close();
      server.close();
    },
  };
}

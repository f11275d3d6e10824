/** The panel's page, free of VS Code so a plain browser test can serve the same page. */

/** The page: nothing runs or loads but our bundle and stylesheet (and the element library's styles). */
export function panelHtml(p: { cspSource: string; nonce: string; script: string; css: string }): string {
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${p.nonce}'`,
    `style-src ${p.cspSource} 'nonce-${p.nonce}'`,
    `font-src ${p.cspSource}`,
    `img-src ${p.cspSource} data:`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${p.css}" nonce="${p.nonce}">
<title>PyML: Test Prediction</title>
</head>
<body>
<div id="root" data-nonce="${p.nonce}"></div>
<script nonce="${p.nonce}" src="${p.script}"></script>
</body>
</html>`;
}

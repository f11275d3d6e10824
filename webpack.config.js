// @ts-check
'use strict';

const path = require('path');
const webpack = require('webpack');

/** @typedef {import('webpack').Configuration} Config */

/**
 * TypeScript through ts-loader without its type check: `npm run check` (tsc) checks the types once, in CI
 * and before a commit, instead of once more per bundle here.
 * @param {string} configFile @returns {import('webpack').RuleSetRule}
 */
const tsRule = (configFile) => ({
  test: /\.ts$/,
  exclude: /node_modules/,
  use: [{ loader: 'ts-loader', options: { configFile, onlyCompileBundledFiles: true, transpileOnly: true, compilerOptions: { module: 'es2022' } } }],
});

/** @type {Config} */
const nodeBase = {
  target: 'node',
  devtool: 'nosources-source-map',
  // 'module' first: the ESM builds of the LSP packages bundle without dynamic-require warnings.
  resolve: { extensions: ['.ts', '.js'], mainFields: ['module', 'main'] },
  output: { path: path.resolve(__dirname, 'dist'), filename: '[name].js', chunkFilename: 'chunks/[name].js', libraryTarget: 'commonjs2' },
  module: { rules: [tsRule(path.resolve(__dirname, 'tsconfig.json'))] },
  // Optional native add-ons of ssh2/cpu-features (docker over ssh) are not bundled.
  externals: { vscode: 'commonjs vscode', 'cpu-features': 'commonjs cpu-features', './crypto/build/Release/sshcrypto.node': 'commonjs ./crypto/build/Release/sshcrypto.node' },
  infrastructureLogging: { level: 'warn' },
  performance: { hints: false },
};

/** @type {Config[]} */
module.exports = [
  {
    ...nodeBase,
    name: 'extension',
    entry: { extension: './src/extension.ts' },
    // The bundle's first line records when loading began, for the activation-time benchmark.
    plugins: [
      new webpack.BannerPlugin({ banner: 'var __PYML_LOAD_START__ = performance.now();', raw: true, entryOnly: true }),
      new webpack.BannerPlugin({ banner: 'var __PYML_LOAD_END__ = performance.now();', raw: true, entryOnly: true, footer: true }),
    ],
  },
  { ...nodeBase, name: 'server', entry: { server: './src/server/main.ts' } },
  // The batch thread (src/batch/thread): one file, no chunks of its own to collide with the extension's.
  { ...nodeBase, name: 'batchThread', entry: { batchThread: './src/batch/thread/batchThread.ts' }, plugins: [new webpack.optimize.LimitChunkCountPlugin({ maxChunks: 1 })] },
  {
    name: 'webview',
    target: 'web',
    devtool: 'nosources-source-map',
    entry: { webview: './webview/main.ts', preview: './webview/preview.ts' },
    resolve: { extensions: ['.ts', '.js'] },
    output: { path: path.resolve(__dirname, 'dist'), filename: '[name].js' },
    module: { rules: [tsRule(path.resolve(__dirname, 'webview/tsconfig.json'))] },
    performance: { hints: false },
  },
];

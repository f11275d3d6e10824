#!/usr/bin/env node
// npm start [-- --desktop] [--port N] [--no-build]
// Sets up, builds and packages the extension, installs it into a code-server profile under .cache/start,
// and opens it on the example workspace (examples/, copied to .cache/workspace). Runs until Ctrl+C.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { installVsix, makeProfile, startCodeServer } from './lib/codeserver.mjs';
import { ensureNodeModules } from './lib/deps.mjs';
import { prepareExampleWorkspace } from './lib/exampleWorkspace.mjs';
import { dockerEnv } from './lib/docker.mjs';
import { SetupError, heading, info, reportFatal } from './lib/log.mjs';
import { cacheDir, repoRoot, vsixPath } from './lib/paths.mjs';
import { mustRun, which } from './lib/proc.mjs';
import { setup } from './setup.mjs';

const workspaceDir = path.join(cacheDir, 'workspace');

/** @param {string[]} argv */
function parseArgs(argv) {
  let desktop = false;
  let build = true;
  /** @type {number | undefined} */
  let port;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--desktop') desktop = true;
    else if (arg === '--no-build') build = false;
    else if (arg === '--port') port = Number(argv[++i]);
    else if (arg === '-h' || arg === '--help') {
      console.log('usage: npm start [-- --desktop] [--port N] [--no-build (reuse .cache/pyml-vscode.vsix)]');
      process.exit(0);
    } else throw new SetupError(`unknown argument ${arg}`);
  }
  return { desktop, build, port };
}

/** @param {import('./lib/docker.mjs').DockerEngine | undefined} engine */
async function openDesktop(engine) {
  const code = which('code');
  if (!code) throw new SetupError('`code` (VS Code desktop) is not on PATH. Install VS Code and its shell command, or run `npm start` without --desktop for code-server.');
  await mustRun('npm', ['run', 'build'], { cwd: repoRoot, output: 'inherit' });
  prepareExampleWorkspace(workspaceDir);
  info(`${code} --extensionDevelopmentPath=${repoRoot} ${workspaceDir}`);
  spawn(code, [`--extensionDevelopmentPath=${repoRoot}`, workspaceDir], {
    stdio: 'inherit', env: { ...process.env, ...(engine ? dockerEnv(engine) : {}) },
  });
}

/**
 * Docker and the base image are needed to build and run models, not to open the editor:
 * when they cannot be set up, say so and go on.
 */
async function setupDocker() {
  try {
    return (await setup(['docker', 'image'])).docker;
  } catch (err) {
    if (!(err instanceof SetupError)) throw err;
    console.log(`\nwarning: ${err.message}\nThe editor opens anyway; Build Image and Run Model need the engine.\n`);
    return undefined;
  }
}

async function main() {
  const { desktop, build, port } = parseArgs(process.argv.slice(2));
  const [, docker] = await Promise.all([ensureNodeModules(), setupDocker()]);
  if (desktop) {
    await openDesktop(docker);
    return;
  }
  await setup(['code-server']);
  if (build || !fs.existsSync(vsixPath)) {
    heading('build and package');
    await mustRun('npm', ['run', 'package'], { cwd: repoRoot, output: 'inherit', timeoutMs: 15 * 60_000 });
  }
  // A first-time user sees the getting-started walkthrough (the extension opens it once per profile).
  const profile = makeProfile(path.join(cacheDir, 'start'), { settings: { 'pyml.welcome.openWalkthrough': true } });
  info('installing the .vsix into .cache/start');
  await installVsix(profile, vsixPath);
  prepareExampleWorkspace(workspaceDir);
  const server = await startCodeServer(profile, { folder: workspaceDir, env: docker ? dockerEnv(docker) : {}, ...(port ? { port } : {}) });
  heading('running');
  console.log(`PyML in code-server: ${server.origin}/?folder=${encodeURIComponent(workspaceDir)}`);
  console.log(`(log: ${path.relative(repoRoot, server.logFile)}; Ctrl+C stops it)`);
  const stop = () => { void server.stop().then(() => process.exit(0)); };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const code = await server.exited;
  console.log(`code-server exited (${code})`);
  process.exitCode = code ? 1 : 0;
}

main().catch(reportFatal);

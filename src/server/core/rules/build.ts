import * as path from 'path';
import { MANIFEST_NAME, PACKAGES_NAME, REQUIREMENTS_NAME, type FileSystem } from '../fs';
import { normalizeName, parseRequirements } from '../requirements';
import { Findings } from '../report';
import type { Finding } from '../types';

/** A failed dependency step of an image build: which installer, and what it printed. */
export interface BuildFailure {
  readonly step: 'pip' | 'apt';
  readonly log: string;
}

interface Blame {
  /** Package names as the installer printed them (with version specifiers, maybe). */
  readonly names: readonly string[];
  readonly message: string;
}

/**
 * PYML500 / PYML501: maps the output of a failed `pip install -r requirements.txt` or
 * `apt-get install` to the lines of requirements.txt / packages.txt that caused it. What cannot be
 * pinned to a line lands on the file's first line, so the failure is never lost.
 */
export function buildFindings(root: string, files: FileSystem, failure: BuildFailure): Finding[] {
  const isPip = failure.step === 'pip';
  const file = path.join(root, isPip ? REQUIREMENTS_NAME : PACKAGES_NAME);
  const text = files.readText(file);
  const target = text !== undefined ? file : path.join(root, MANIFEST_NAME);
  const findings = new Findings(target);
  const code = isPip ? 'PYML500' : 'PYML501';
  const lines = text !== undefined ? lineIndex(text, isPip) : new Map<string, number>();
  const blames = isPip ? pipBlames(failure.log) : aptBlames(failure.log);
  const placed = new Set<number>();
  let general: string | undefined;
  for (const blame of blames) {
    const hits = blame.names.map((n) => lines.get(key(n, isPip))).filter((l): l is number => l !== undefined);
    if (hits.length === 0) {
      general ??= blame.message;
      continue;
    }
    for (const line of hits) {
      if (placed.has(line)) continue;
      placed.add(line);
      const lineText = (text ?? '').split(/\r?\n|\r/)[line] ?? '';
      const start = lineText.length - lineText.trimStart().length;
      findings.add(code, { start: { line, character: start }, end: { line, character: lineText.trimEnd().length } }, blame.message);
    }
  }
  if (placed.size === 0) {
    const message = general ?? firstErrorLine(failure.log) ?? `${isPip ? 'pip install' : 'apt-get install'} failed; see the build log`;
    findings.add(code, { start: { line: 0, character: 0 }, end: { line: 0, character: firstLineLength(text) } }, message);
  }
  return findings.list;
}

function key(name: string, isPip: boolean): string {
  const bare = /^[A-Za-z0-9][A-Za-z0-9._+-]*/.exec(name.trim())?.[0] ?? name.trim();
  return isPip ? normalizeName(bare) : bare.split(/[=/:]/)[0] ?? bare;
}

function lineIndex(text: string, isPip: boolean): Map<string, number> {
  const out = new Map<string, number>();
  if (isPip) {
    for (const e of parseRequirements(text)) {
      if (e.kind === 'requirement') out.set(e.normalized, e.line);
      else if ((e.kind === 'url' || e.kind === 'option') && e.name !== undefined) out.set(normalizeName(e.name), e.line);
    }
  } else {
    text.split(/\r?\n|\r/).forEach((raw, line) => {
      const body = (raw.split('#')[0] ?? '').trim();
      if (body) out.set(key(body, false), line);
    });
  }
  return out;
}

function pipBlames(log: string): Blame[] {
  const out: Blame[] = [];
  let lastCollecting: string | undefined;
  const offline = /NewConnectionError|Temporary failure in name resolution|Network is unreachable|No route to host/.test(log);
  const hint = offline ? ' (the build has no network access to the package index)' : '';
  for (const rawLine of log.split(/\r?\n/)) {
    const line = rawLine.trim();
    const collecting = /^(?:Collecting|Downloading|Building wheel for|Processing)\s+(\S+)/.exec(line);
    if (collecting?.[1]) lastCollecting = collecting[1];
    let m: RegExpExecArray | null;
    if ((m = /Could not find a version that satisfies the requirement (\S+)/.exec(line)) && m[1]) {
      out.push({ names: [m[1]], message: `pip found no version of ${m[1]}${hint}` });
    } else if ((m = /No matching distribution found for (\S+)/.exec(line)) && m[1]) {
      out.push({ names: [m[1]], message: `pip: no matching distribution for ${m[1]}${hint}` });
    } else if ((m = /(?:Failed building wheel for|Could not build wheels for|Failed to build) (.+?)(?:,? which is required.*)?$/.exec(line)) && m[1]) {
      const names = m[1].replace(/^installable wheels for some pyproject\.toml based projects\s*/, '').replace(/[()]/g, '').split(/[\s,]+/).filter(Boolean);
      out.push({ names, message: `pip could not build ${names.join(', ')}: ${line}` });
    } else if ((m = /Invalid requirement: '([^']+)'/.exec(line)) && m[1]) {
      out.push({ names: [m[1]], message: line.replace(/^ERROR:\s*/, 'pip: ') });
    } else if ((m = /Cannot install (.+?) because/.exec(line)) && m[1]) {
      out.push({ names: m[1].split(/,\s*|\s+and\s+/), message: `pip: conflicting dependencies between ${m[1]}` });
    } else if (/subprocess-exited-with-error/.test(line) && lastCollecting) {
      out.push({ names: [lastCollecting], message: `pip failed while installing ${lastCollecting} (a build step exited with an error)` });
    }
  }
  return out;
}

function aptBlames(log: string): Blame[] {
  const out: Blame[] = [];
  for (const rawLine of log.split(/\r?\n/)) {
    const line = rawLine.trim();
    let m: RegExpExecArray | null;
    if ((m = /Unable to locate package (\S+)/.exec(line)) && m[1]) {
      out.push({ names: [m[1]], message: `apt-get: no package named '${m[1]}' in the base image's package lists` });
    } else if ((m = /Package '?([^' ]+)'? has no installation candidate/.exec(line)) && m[1]) {
      out.push({ names: [m[1]], message: `apt-get: package '${m[1]}' has no installation candidate` });
    } else if ((m = /Version '([^']+)' for '([^']+)' was not found/.exec(line)) && m[1] && m[2]) {
      out.push({ names: [m[2]], message: `apt-get: version ${m[1]} of ${m[2]} was not found` });
    } else if ((m = /Couldn't find any package by (?:glob|regex) '([^']+)'/.exec(line)) && m[1]) {
      out.push({ names: [m[1]], message: `apt-get: nothing matches '${m[1]}'` });
    } else if ((m = /^E: (.+)$/.exec(line)) && m[1]) {
      out.push({ names: [], message: `apt-get: ${m[1]}` });
    }
  }
  return out;
}

function firstErrorLine(log: string): string | undefined {
  return log
    .split(/\r?\n/)
    .map((l) => l.trim())
    .find((l) => /^(ERROR|E):/.test(l));
}

function firstLineLength(text: string | undefined): number {
  return (text ?? '').split(/\r?\n|\r/)[0]?.length ?? 0;
}

/**
 * Build and reload problems in the Problems view: one DiagnosticCollection, entries grouped by the
 * model folder and the phase that produced them, so a new build clears only the old build's.
 * A build problem follows its line while the file is edited (in the editor or on disk): it moves
 * with the line's text and disappears when that line is deleted or changed, not only at the next build.
 * A failed build's problems carry the stable codes of docs/diagnostics.md (PYML500 on
 * requirements.txt, PYML501 on packages.txt) and the language server's source, `pyml`.
 */
import { readFileSync } from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { FileDiagnostic } from './buildLog';
import type { ErrorLocation } from './reload';

export type ProblemPhase = 'build' | 'reload' | 'start';

/** The language server's diagnostic source (src/server/lsp/lspConvert.ts): build problems read like its own. */
const BUILD_SOURCE = 'pyml';

/** The code of a build problem, by the file it is on (src/server/core/codes.ts). */
function buildCode(file: string): 'PYML500' | 'PYML501' {
  return path.basename(file) === 'packages.txt' ? 'PYML501' : 'PYML500';
}

interface Entry {
  readonly uri: vscode.Uri;
  diagnostic: vscode.Diagnostic;
  /** Build problems: the text of their line when the build saw it (undefined: the line is not followed). */
  readonly lineText?: string;
}

export class Problems implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('pyml-container');
  /** `${phase}\0${folder}` → the diagnostics that phase gave for that folder. */
  private readonly groups = new Map<string, Entry[]>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor() {
    const watcher = vscode.workspace.createFileSystemWatcher('**/{requirements,packages}.txt');
    const onDisk = (uri: vscode.Uri): void => {
      // An open document speaks for itself (its change events); a closed file is read again.
      if (vscode.workspace.textDocuments.some((d) => d.uri.toString() === uri.toString())) return;
      this.follow(uri, readLines(uri.fsPath));
    };
    this.disposables.push(
      watcher,
      watcher.onDidChange(onDisk),
      watcher.onDidCreate(onDisk),
      watcher.onDidDelete((uri) => {
        this.follow(uri, []);
      }),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length > 0) this.follow(e.document.uri, e.document.getText().split(/\r?\n/));
      }),
    );
  }

  /** Replaces the build problems of a folder. */
  setBuild(folder: string, diagnostics: readonly FileDiagnostic[]): void {
    const texts = new Map<string, string[]>();
    const linesOf = (file: string): string[] => {
      let lines = texts.get(file);
      if (!lines) {
        const open = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && d.uri.fsPath === file);
        lines = open ? open.getText().split(/\r?\n/) : readLines(file);
        texts.set(file, lines);
      }
      return lines;
    };
    this.set(
      'build',
      folder,
      diagnostics.map((d) => {
        const file = path.join(folder, d.file);
        const lineText = linesOf(file)[d.line];
        return { uri: vscode.Uri.file(file), diagnostic: this.diagnostic(d.line, d.message, 'build', buildCode(d.file)), ...(lineText === undefined ? {} : { lineText }) };
      }),
    );
  }

  /**
   * A file with build problems changed: each problem moves to the line that now holds its line's
   * text (the nearest one), and is dropped when no line does.
   */
  private follow(uri: vscode.Uri, lines: readonly string[]): void {
    const key = uri.toString();
    for (const [group, entries] of this.groups) {
      if (!group.startsWith('build\0') || !entries.some((e) => e.uri.toString() === key)) continue;
      const kept: Entry[] = [];
      for (const entry of entries) {
        if (entry.uri.toString() !== key || entry.lineText === undefined) {
          kept.push(entry);
          continue;
        }
        const line = nearestLine(lines, entry.lineText, entry.diagnostic.range.start.line);
        if (line === undefined) continue;
        if (line !== entry.diagnostic.range.start.line) {
          const moved = new vscode.Diagnostic(new vscode.Range(line, 0, line, Number.MAX_SAFE_INTEGER), entry.diagnostic.message, entry.diagnostic.severity);
          if (entry.diagnostic.source !== undefined) moved.source = entry.diagnostic.source;
          if (entry.diagnostic.code !== undefined) moved.code = entry.diagnostic.code;
          entry.diagnostic = moved;
        }
        kept.push(entry);
      }
      const [phase, folder] = group.split('\0') as [ProblemPhase, string];
      this.set(phase, folder, kept);
    }
  }

  /** Replaces the reload (or start) problem of a folder. */
  setModelError(phase: 'reload' | 'start', folder: string, location: ErrorLocation): void {
    this.set(phase, folder, [{ uri: vscode.Uri.file(location.file), diagnostic: this.diagnostic(location.line, location.message, phase) }]);
  }

  clear(phase: ProblemPhase, folder: string): void {
    this.set(phase, folder, []);
  }

  /** The diagnostics PyML's container work currently shows for a file (tests and views). */
  get(uri: vscode.Uri): readonly vscode.Diagnostic[] {
    return this.collection.get(uri) ?? [];
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
    this.collection.dispose();
  }

  private diagnostic(line: number, message: string, phase: ProblemPhase, code?: string): vscode.Diagnostic {
    const range = new vscode.Range(line, 0, line, Number.MAX_SAFE_INTEGER);
    const d = new vscode.Diagnostic(range, message, vscode.DiagnosticSeverity.Error);
    d.source = phase === 'build' ? BUILD_SOURCE : phase === 'reload' ? 'PyML reload' : 'PyML run';
    if (code !== undefined) d.code = code;
    return d;
  }

  private set(phase: ProblemPhase, folder: string, entries: Entry[]): void {
    const key = `${phase}\0${folder}`;
    const touched = new Set([...(this.groups.get(key) ?? []), ...entries].map((e) => e.uri.toString()));
    if (entries.length > 0) this.groups.set(key, entries);
    else this.groups.delete(key);
    for (const uriText of touched) {
      const all = [...this.groups.values()].flat().filter((e) => e.uri.toString() === uriText);
      const uri = vscode.Uri.parse(uriText);
      if (all.length > 0) this.collection.set(uri, all.map((e) => e.diagnostic));
      else this.collection.delete(uri);
    }
  }
}

function readLines(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split(/\r?\n/);
  } catch {
    return [];
  }
}

/** The line holding `text` nearest to `near` (an edit above it shifts it), or undefined when none does. */
export function nearestLine(lines: readonly string[], text: string, near: number): number | undefined {
  let best: number | undefined;
  lines.forEach((l, i) => {
    if (l === text && (best === undefined || Math.abs(i - near) < Math.abs(best - near))) best = i;
  });
  return best;
}

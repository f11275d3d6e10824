/**
 * Build and reload problems in the Problems view: one DiagnosticCollection, entries grouped by the
 * model folder and the phase that produced them, so a new build clears only the old build's.
 * A failed build's problems carry the stable codes of docs/diagnostics.md (PYML500 on
 * requirements.txt, PYML501 on packages.txt) and the language server's source, `pyml`.
 */
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

export class Problems implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('pyml-container');
  /** `${phase}\0${folder}` → the diagnostics that phase gave for that folder. */
  private readonly groups = new Map<string, { uri: vscode.Uri; diagnostic: vscode.Diagnostic }[]>();

  /** Replaces the build problems of a folder. */
  setBuild(folder: string, diagnostics: readonly FileDiagnostic[]): void {
    this.set(
      'build',
      folder,
      diagnostics.map((d) => ({ uri: vscode.Uri.file(path.join(folder, d.file)), diagnostic: this.diagnostic(d.line, d.message, 'build', buildCode(d.file)) })),
    );
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
    this.collection.dispose();
  }

  private diagnostic(line: number, message: string, phase: ProblemPhase, code?: string): vscode.Diagnostic {
    const range = new vscode.Range(line, 0, line, Number.MAX_SAFE_INTEGER);
    const d = new vscode.Diagnostic(range, message, vscode.DiagnosticSeverity.Error);
    d.source = phase === 'build' ? BUILD_SOURCE : phase === 'reload' ? 'PyML reload' : 'PyML run';
    if (code !== undefined) d.code = code;
    return d;
  }

  private set(phase: ProblemPhase, folder: string, entries: { uri: vscode.Uri; diagnostic: vscode.Diagnostic }[]): void {
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

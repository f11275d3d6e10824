import { fileURLToPath, pathToFileURL } from 'url';
import {
  CodeActionKind,
  DiagnosticSeverity,
  type CodeAction,
  type Diagnostic,
  type TextEdit as LspTextEdit,
  type WorkspaceEdit,
} from 'vscode-languageserver';
import type { Finding, Fix, Range, Severity } from '../core/types';

export const SOURCE = 'pyml';

const SEVERITY: Readonly<Record<Severity, DiagnosticSeverity>> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

/** `file:` URIs only: the server reads files from disk, nothing else. */
export function uriToPath(uri: string): string | undefined {
  if (!uri.startsWith('file:')) return undefined;
  try {
    return fileURLToPath(uri);
  } catch {
    return undefined;
  }
}

/** Maps paths to the URIs the editor uses for them (open documents), or builds file: URIs. */
export type UriOf = (file: string) => string;

export function defaultUriOf(file: string): string {
  return pathToFileURL(file).href;
}

export function toDiagnostic(f: Finding): Diagnostic {
  return { range: f.range, severity: SEVERITY[f.severity], code: f.code, source: SOURCE, message: f.message };
}

/**
 * Whether an LSP diagnostic (as the client sends it back in a code action request) is this finding:
 * same code and range (the message may have changed since, e.g. the list of declared columns).
 */
export function sameDiagnostic(d: Diagnostic, f: Finding): boolean {
  return d.code === f.code && sameRange(d.range, f.range);
}

function sameRange(a: Range, b: Range): boolean {
  return a.start.line === b.start.line && a.start.character === b.start.character && a.end.line === b.end.line && a.end.character === b.end.character;
}

export function toCodeAction(fix: Fix, finding: Finding, uriOf: UriOf): CodeAction {
  return {
    title: fix.title,
    kind: CodeActionKind.QuickFix,
    diagnostics: [toDiagnostic(finding)],
    ...(fix.preferred ? { isPreferred: true } : {}),
    edit: toWorkspaceEdit(fix, uriOf),
  };
}

export function toWorkspaceEdit(fix: Fix, uriOf: UriOf): WorkspaceEdit {
  const byUri = new Map<string, LspTextEdit[]>();
  for (const e of fix.edits) {
    const uri = uriOf(e.file);
    const list = byUri.get(uri) ?? [];
    list.push({ range: e.range, newText: e.newText });
    byUri.set(uri, list);
  }
  if (!fix.create || fix.create.length === 0) return { changes: Object.fromEntries(byUri) };
  return {
    documentChanges: [
      ...fix.create.map((file) => ({ kind: 'create' as const, uri: uriOf(file), options: { ignoreIfExists: true } })),
      ...[...byUri].map(([uri, edits]) => ({ textDocument: { uri, version: null }, edits })),
    ],
  };
}

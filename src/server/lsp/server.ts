import * as path from 'path';
import {
  CodeActionKind,
  CodeLensRefreshRequest,
  CompletionItemKind,
  MarkupKind,
  TextDocuments,
  TextDocumentSyncKind,
  type CodeAction,
  type CodeLens,
  type CompletionItem,
  type Connection,
  type InitializeResult,
} from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { MODEL_COMMANDS, WorkspaceTrustNotification, type InitializationOptions } from '../../shared/lsp';
import { analyze, fileKind, type Analysis } from '../core/analyze';
import { codeLenses } from '../core/features/codeLens';
import { completionsAt, type CompletionEntry } from '../core/features/completion';
import { hoverAt } from '../core/features/hover';
import { DiskFileSystem, findModelFolder } from '../core/fs';
import { rangesIntersect, type Finding } from '../core/types';
import { defaultUriOf, sameDiagnostic, toCodeAction, toDiagnostic, uriToPath } from './lspConvert';

export interface ServerOptions {
  /** Quiet time after a keystroke before re-analysing (ms). */
  readonly debounceMs?: number;
}

/**
 * The PyML language server over one connection: keeps the open documents, re-analyses on change
 * (debounced), re-checks the open model files of a folder when its pyml.yaml or requirements.txt
 * changes, and answers code actions, hovers, completions and code lenses from the analysis core.
 * It only reads files; it never runs user code, so it behaves the same in untrusted workspaces.
 */
export function startServer(connection: Connection, options: ServerOptions = {}): void {
  const debounceMs = options.debounceMs ?? 150;
  const documents = new TextDocuments(TextDocument);
  const openByPath = new Map<string, TextDocument>();
  const cache = new Map<string, { version: number; generation: number; analysis: Analysis }>();
  const timers = new Map<string, NodeJS.Timeout>();
  let roots: string[] = [];
  let generation = 0;
  /** Workspace Trust: without it the Build/Run/Test lenses are left out (the extension refuses those commands). */
  let trusted = true;
  let canRefreshLenses = false;
  /** Documents whose didOpen was just handled: the content event that follows it is not an edit. */
  const justOpened = new Set<string>();

  const log = (message: string): void => {
    connection.console.log(message);
  };
  const uriOf = (file: string): string => openByPath.get(file)?.uri ?? defaultUriOf(file);
  const overlay = (file: string): string | undefined => openByPath.get(file)?.getText();

  function analysisOf(doc: TextDocument): Analysis | undefined {
    const file = uriToPath(doc.uri);
    if (!file) return undefined;
    const cached = cache.get(doc.uri);
    if (cached && cached.version === doc.version && cached.generation === generation) return cached.analysis;
    const started = performance.now();
    const analysis = analyze(
      file,
      new DiskFileSystem(overlay),
      roots,
      (rule, err) => {
        log(`rule ${rule} failed on ${file}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      },
      cached?.analysis,
    );
    const ms = performance.now() - started;
    if (ms > 100) log(`analysis of ${file} took ${ms.toFixed(0)} ms`);
    cache.set(doc.uri, { version: doc.version, generation, analysis });
    return analysis;
  }

  function publish(doc: TextDocument): void {
    const file = uriToPath(doc.uri);
    if (!file) return;
    let findings: readonly Finding[] = [];
    try {
      findings = analysisOf(doc)?.findings ?? [];
    } catch (err) {
      log(`analysis of ${file} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
    const diagnostics = findings.map(toDiagnostic);
    void connection.sendDiagnostics({ uri: doc.uri, version: doc.version, diagnostics });
  }

  function schedule(doc: TextDocument, delay: number): void {
    const pending = timers.get(doc.uri);
    if (pending) clearTimeout(pending);
    timers.set(
      doc.uri,
      setTimeout(() => {
        timers.delete(doc.uri);
        const current = documents.get(doc.uri);
        if (current) publish(current);
      }, delay),
    );
  }

  /** Re-checks every open document of the model folder `file` belongs to (other than `except`). */
  function recheckFolderOf(file: string, except?: string): void {
    const folder = findModelFolder(file, new DiskFileSystem(overlay), roots) ?? path.dirname(file);
    for (const doc of documents.all()) {
      if (doc.uri === except) continue;
      const other = uriToPath(doc.uri);
      if (other && isInside(other, folder)) schedule(doc, debounceMs);
    }
  }

  connection.onInitialize((params): InitializeResult => {
    const folders = params.workspaceFolders ?? [];
    roots = folders.map((f) => uriToPath(f.uri)).filter((p): p is string => p !== undefined);
    const init = params.initializationOptions as Partial<InitializationOptions> | undefined;
    trusted = init?.workspaceTrusted !== false;
    canRefreshLenses = params.capabilities.workspace?.codeLens?.refreshSupport === true;
    log(`PyML language server: ${roots.length} workspace folder(s), workspace ${trusted ? 'trusted' : 'untrusted (validating read-only, no Build/Run/Test lenses)'}`);
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
        hoverProvider: true,
        completionProvider: { triggerCharacters: ['"', "'", '.', ' ', ':'] },
        codeLensProvider: { resolveProvider: false },
      },
      serverInfo: { name: 'pyml-language-server', version: '0.1.0' },
    };
  });

  documents.onDidOpen((e) => {
    const file = uriToPath(e.document.uri);
    if (file) openByPath.set(file, e.document);
    generation++;
    justOpened.add(e.document.uri);
    schedule(e.document, 0);
    if (file && fileKind(file) !== 'python') recheckFolderOf(file, e.document.uri);
  });

  documents.onDidChangeContent((e) => {
    if (justOpened.delete(e.document.uri)) return;
    const file = uriToPath(e.document.uri);
    if (!file) return;
    openByPath.set(file, e.document);
    generation++;
    schedule(e.document, debounceMs);
    recheckFolderOf(file, e.document.uri);
  });

  documents.onDidClose((e) => {
    const file = uriToPath(e.document.uri);
    const pending = timers.get(e.document.uri);
    if (pending) clearTimeout(pending);
    timers.delete(e.document.uri);
    cache.delete(e.document.uri);
    justOpened.delete(e.document.uri);
    if (!file) return;
    openByPath.delete(file);
    generation++;
    void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
    if (fileKind(file) !== 'python') recheckFolderOf(file);
  });

  connection.onDidChangeWatchedFiles((e) => {
    generation++;
    const changed = e.changes.map((c) => uriToPath(c.uri)).filter((p): p is string => p !== undefined);
    const folders = new Set(changed.map((f) => findModelFolder(f, new DiskFileSystem(overlay), roots) ?? path.dirname(f)));
    for (const doc of documents.all()) {
      const file = uriToPath(doc.uri);
      if (file && [...folders].some((folder) => isInside(file, folder))) schedule(doc, debounceMs);
    }
  });

  connection.onCodeAction((params) => {
    const doc = documents.get(params.textDocument.uri);
    if (!doc) return [];
    const analysis = safe(() => analysisOf(doc));
    if (!analysis) return [];
    const actions: CodeAction[] = [];
    const wanted = params.context.diagnostics.filter((d) => d.source === 'pyml');
    for (const finding of analysis.findings) {
      if (!rangesIntersect(finding.range, params.range)) continue;
      if (wanted.length > 0 && !wanted.some((d) => sameDiagnostic(d, finding))) continue;
      for (const fix of finding.fixes) actions.push(toCodeAction(fix, finding, uriOf));
    }
    return actions;
  });

  connection.onHover((params) => {
    const doc = documents.get(params.textDocument.uri);
    const analysis = doc ? safe(() => analysisOf(doc)) : undefined;
    const hover = analysis ? safe(() => hoverAt(analysis, params.position)) : undefined;
    return hover ? { contents: { kind: MarkupKind.Markdown, value: hover.markdown }, range: hover.range } : null;
  });

  connection.onCompletion((params) => {
    const doc = documents.get(params.textDocument.uri);
    const analysis = doc ? safe(() => analysisOf(doc)) : undefined;
    const entries = analysis ? (safe(() => completionsAt(analysis, params.position)) ?? []) : [];
    return entries.map(toCompletionItem);
  });

  connection.onNotification(WorkspaceTrustNotification, (params) => {
    if (params.trusted === trusted) return;
    trusted = params.trusted;
    log(`PyML language server: workspace ${trusted ? 'trusted now' : 'no longer trusted'}`);
    if (canRefreshLenses) {
      connection.sendRequest(CodeLensRefreshRequest.type).catch((err: unknown) => {
        log(`code lens refresh failed: ${err instanceof Error ? err.message : String(err)}`);
      });
    }
  });

  connection.onCodeLens((params) => {
    if (!trusted) return [];
    const doc = documents.get(params.textDocument.uri);
    const analysis = doc ? safe(() => analysisOf(doc)) : undefined;
    const lenses = analysis ? (safe(() => codeLenses(analysis)) ?? []) : [];
    return lenses.map(
      (lens): CodeLens => ({
        range: lens.range,
        command: { title: MODEL_COMMANDS[lens.action].title, command: MODEL_COMMANDS[lens.action].command, arguments: [defaultUriOf(lens.folder)] },
      }),
    );
  });

  connection.onShutdown(() => {
    for (const t of timers.values()) clearTimeout(t);
    timers.clear();
  });

  function safe<T>(fn: () => T): T | undefined {
    try {
      return fn();
    } catch (err) {
      log(`request failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      return undefined;
    }
  }

  documents.listen(connection);
  connection.listen();
}

const COMPLETION_KIND: Readonly<Record<CompletionEntry['kind'], CompletionItemKind>> = {
  field: CompletionItemKind.Field,
  property: CompletionItemKind.Property,
  value: CompletionItemKind.Value,
  class: CompletionItemKind.Class,
};

function toCompletionItem(e: CompletionEntry, index: number): CompletionItem {
  return {
    label: e.label,
    kind: COMPLETION_KIND[e.kind],
    sortText: String(index).padStart(4, '0'),
    ...(e.detail !== undefined ? { detail: e.detail } : {}),
    ...(e.documentation !== undefined ? { documentation: e.documentation } : {}),
    ...(e.edit ? { textEdit: { range: e.edit.range, newText: e.edit.newText }, filterText: e.label } : {}),
  };
}

function isInside(file: string, folder: string): boolean {
  const rel = path.relative(folder, file);
  return rel.length > 0 && !rel.startsWith('..') && !path.isAbsolute(rel);
}

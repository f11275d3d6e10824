/**
 * The questions of PyML: Run Batch Prediction, each one step with a default that Enter accepts:
 * the rows to predict (the workspace's table files listed, the last input first), the columns to
 * carry through (asked only when the input has columns besides the model's), and where to write
 * (a place outside the model folder, in the format that fits, a location of one's own on demand).
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { BatchInput, BatchRequest } from '../batchUi/choices';
import { defaultOutputPath, FORMAT_LABEL, formatOfPath, isInside, OUTPUT_FOLDER, type ChosenFormat, type PlaceFacts } from '../batchUi/defaults';
import type { Manifest } from '../model/manifest';
import type { SourceField } from '../tables/fields';

const TITLE = 'PyML: Run Batch Prediction';
/** Table files listed in the first step at most (Browse… finds the rest). */
const MAX_LISTED_FILES = 40;
const TABLE_GLOB = '**/*.{csv,tsv,parquet,pq,jsonl,ndjson,arrow,arrows,feather}';

/** The workspace folder a path lies in (the root relative paths start at). */
export function workspaceRootOf(file: string): string | undefined {
  return vscode.workspace.getWorkspaceFolder(vscode.Uri.file(file))?.uri.fsPath;
}

type InputChoice = vscode.QuickPickItem & { readonly pick?: 'browse' | 'sql' | 'editorSql'; readonly input?: BatchInput };

/** Step 1: the rows to predict. */
export async function askInput(folder: string, last: BatchRequest | undefined, inputExtensions: readonly string[]): Promise<BatchInput | undefined> {
  const cwd = workspaceRootOf(folder) ?? folder;
  const editor = vscode.window.activeTextEditor;
  const sqlEditor = editor && (editor.document.languageId === 'sql' || editor.document.fileName.endsWith('.sql')) ? editor : undefined;
  const items: InputChoice[] = [];
  if (last) items.push({ label: `$(history) ${describeInput(last.input)}`, description: 'last time', input: last.input });
  if (sqlEditor) {
    items.push({ label: `$(database) The SQL in ${path.basename(sqlEditor.document.fileName)}`, description: sqlEditor.selection.isEmpty ? 'the whole file' : 'the selection', pick: 'editorSql' });
  }
  const lastFile = last && 'file' in last.input ? last.input.file : undefined;
  for (const file of await tableFiles(folder)) {
    if (file === lastFile) continue;
    items.push({ label: `$(file) ${path.basename(file)}`, description: vscode.workspace.asRelativePath(path.dirname(file), (vscode.workspace.workspaceFolders?.length ?? 0) > 1), input: { file } });
  }
  items.push(
    { label: '', kind: vscode.QuickPickItemKind.Separator },
    { label: '$(folder-opened) Browse for a file…', description: 'CSV, Parquet, JSON lines, Arrow IPC', pick: 'browse' },
    { label: '$(database) A SQL query over local files…', description: 'runs in DuckDB', pick: 'sql' },
  );
  const choice = await vscode.window.showQuickPick(items, { title: `${TITLE}: the rows to predict`, placeHolder: 'A table file, or a SQL query', matchOnDescription: true });
  if (!choice) return undefined;
  if (choice.input) return choice.input;
  if (choice.pick === 'editorSql' && sqlEditor) {
    const doc = sqlEditor.document;
    const sql = (sqlEditor.selection.isEmpty ? doc.getText() : doc.getText(sqlEditor.selection)).trim();
    return { sql, cwd: doc.uri.scheme === 'file' ? path.dirname(doc.uri.fsPath) : cwd };
  }
  if (choice.pick === 'sql') {
    const lastSql = last && 'sql' in last.input ? last.input.sql : undefined;
    const sql = await vscode.window.showInputBox({
      title: `${TITLE}: SQL query over local files (DuckDB)`,
      prompt: `Relative paths start at ${cwd}`,
      placeHolder: "SELECT * FROM 'data/customers.parquet' WHERE country = 'NL'",
      ...(lastSql ? { value: lastSql } : {}),
      ignoreFocusOut: true,
      validateInput: (v) => (v.trim() ? undefined : "Write a query, e.g. SELECT * FROM 'data/*.parquet'"),
    });
    return sql ? { sql: sql.trim(), cwd } : undefined;
  }
  const picked = await vscode.window.showOpenDialog({
    title: `${TITLE}: the rows to predict`,
    canSelectMany: false,
    filters: { 'Tables (CSV, Parquet, JSON lines, Arrow)': [...inputExtensions] },
    defaultUri: vscode.Uri.file(cwd),
  });
  const file = picked?.[0]?.fsPath;
  return file ? { file } : undefined;
}

/** The workspace's table files, those of the model's own workspace folder first; outputs of earlier runs left out. */
async function tableFiles(folder: string): Promise<string[]> {
  const found = await vscode.workspace.findFiles(TABLE_GLOB, `**/{node_modules,.git,.venv,${OUTPUT_FOLDER}}/**`, 200);
  const root = workspaceRootOf(folder);
  return found
    .map((u) => u.fsPath)
    .filter((f) => !/-predictions\.[^.]+$/.test(f))
    .sort((a, b) => Number(root !== undefined && !isInside(a, root)) - Number(root !== undefined && !isInside(b, root)) || a.localeCompare(b))
    .slice(0, MAX_LISTED_FILES);
}

export function describeInput(input: BatchInput): string {
  if ('file' in input) return path.basename(input.file);
  const sql = input.sql.replace(/\s+/g, ' ');
  return sql.length > 60 ? `${sql.slice(0, 57)}…` : sql;
}

/**
 * Step 2: the input columns to carry through next to the predictions (keys). Asked only when the
 * input has columns that are neither the model's inputs nor its outputs (an id, a date ...); the
 * last run's keys come picked.
 */
export async function askKeys(fields: readonly SourceField[], manifest: Manifest, remembered: readonly string[] | undefined): Promise<string[] | undefined> {
  const inputs = new Set(manifest.inputs.map((f) => f.name));
  const outputs = new Set(manifest.outputs.map((f) => f.name));
  const candidates = fields.filter((f) => !outputs.has(f.name));
  if (!candidates.some((f) => !inputs.has(f.name))) return [];
  const keep = new Set(remembered ?? []);
  const items = candidates
    .sort((a, b) => Number(inputs.has(a.name)) - Number(inputs.has(b.name)))
    .map((f): vscode.QuickPickItem => ({ label: f.name, description: inputs.has(f.name) ? `${f.typeName} · a model input` : f.typeName, picked: keep.has(f.name) }));
  const picked = await vscode.window.showQuickPick(items, {
    title: `${TITLE}: columns to copy next to the predictions (e.g. an id)`,
    placeHolder: 'Pick the key columns, or none, then press Enter',
    canPickMany: true,
    matchOnDescription: true,
    ignoreFocusOut: true,
  });
  return picked?.map((p) => p.label);
}

type OutputChoice = vscode.QuickPickItem & { readonly output?: string; readonly browse?: true };

export interface OutputFacts extends PlaceFacts {
  readonly format: ChosenFormat;
}

/** Step 3: where the predictions go: the default place in each format (the fitting one first), or a place of one's own. */
export async function askOutput(facts: OutputFacts): Promise<string | undefined> {
  const formats: ChosenFormat[] = [facts.format, ...(['csv', 'parquet', 'arrow'] as const).filter((f) => f !== facts.format)];
  const items: OutputChoice[] = [];
  for (const format of formats) {
    const output = defaultOutputPath(facts, format);
    const exists = await fs.stat(output).then(() => true, () => false);
    const notes = [FORMAT_LABEL[format], ...(format === facts.format ? ['recommended'] : []), ...(exists ? ['replaces the file there'] : [])];
    items.push({ label: `$(file) ${shown(output)}`, description: notes.join(' · '), output });
  }
  items.push({ label: '', kind: vscode.QuickPickItemKind.Separator }, { label: '$(folder-opened) Save as…', description: 'another place or name', browse: true });
  const choice = await vscode.window.showQuickPick(items, { title: `${TITLE}: where to write the predictions`, matchOnDescription: true });
  if (!choice) return undefined;
  if (choice.output) return choice.output;
  const uri = await vscode.window.showSaveDialog({
    title: `${TITLE}: where to write the predictions`,
    defaultUri: vscode.Uri.file(defaultOutputPath(facts, facts.format)),
    filters: { CSV: ['csv'], Parquet: ['parquet'], 'Arrow IPC': ['arrow', 'feather', 'arrows'] },
  });
  if (!uri) return undefined;
  if (!formatOfPath(uri.fsPath)) {
    void vscode.window.showWarningMessage(`PyML: ${path.basename(uri.fsPath)}: name the output .csv, .parquet or .arrow (the format follows the extension).`);
    return undefined;
  }
  if (isInside(uri.fsPath, facts.folder)) {
    const anyway = 'Write There Anyway';
    const answer = await vscode.window.showWarningMessage(
      `PyML: ${shown(uri.fsPath)} is inside the model folder, which is the image's build context: the next build would copy the predictions into the image.`,
      { modal: true },
      anyway,
    );
    if (answer !== anyway) return undefined;
  }
  return uri.fsPath;
}

/** A path as the user knows it: relative to its workspace folder, else absolute. */
export function shown(file: string): string {
  return workspaceRootOf(file) ? vscode.workspace.asRelativePath(file, vscode.workspace.workspaceFolders !== undefined && vscode.workspace.workspaceFolders.length > 1) : file;
}


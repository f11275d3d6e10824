/**
 * Where a batch run writes by default, and in which format. Never inside the model folder: that
 * folder is the image's build context, and the next build would send the predictions along. Plain
 * functions over paths, no VS Code.
 */
import * as path from 'path';
import type { BatchInput } from './choices';

export type ChosenFormat = 'csv' | 'parquet' | 'arrow';

export const FORMAT_EXTENSION: Readonly<Record<ChosenFormat, string>> = { csv: 'csv', parquet: 'parquet', arrow: 'arrow' };
export const FORMAT_LABEL: Readonly<Record<ChosenFormat, string>> = { csv: 'CSV', parquet: 'Parquet', arrow: 'Arrow IPC' };

/** The folder the default output goes into when it is not beside the input: `<workspace>/batch-output`. */
export const OUTPUT_FOLDER = 'batch-output';

/** Up to this size an input counts as small: its predictions are written as CSV, which anyone can open. */
export const SMALL_INPUT_BYTES = 20 * 1024 * 1024;
/** Up to this many rows (when the input says up front, e.g. Parquet) an input counts as small. */
export const SMALL_INPUT_ROWS = 100_000;

/** Whether `child` is `parent` or inside it. */
export function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

export interface FormatFacts {
  /** The format of this model's last output, if it ran before: the user's choice wins. */
  readonly remembered?: ChosenFormat;
  /** The input file's size, when the input is a file. */
  readonly inputBytes?: number;
  /** The input file's format (csv, parquet, jsonl, arrow), when the input is a file. */
  readonly inputFormat?: string;
  /** Rows in the input, when it says up front. */
  readonly totalRows?: number;
}

/**
 * The format the output defaults to: the last one chosen for this model; else CSV for a small input
 * (few rows, or a small file: a text file the editor opens); else the input's own columnar format;
 * else Parquet.
 */
export function defaultFormat(f: FormatFacts): ChosenFormat {
  if (f.remembered) return f.remembered;
  if (f.totalRows !== undefined && f.totalRows <= SMALL_INPUT_ROWS) return 'csv';
  if (f.inputBytes !== undefined && f.inputBytes <= SMALL_INPUT_BYTES) return 'csv';
  if (f.inputFormat === 'arrow') return 'arrow';
  return 'parquet';
}

/** The format an output path is written in, as the prompts know them (`.arrows` counts as Arrow). */
export function formatOfPath(file: string): ChosenFormat | undefined {
  const ext = path.extname(file).slice(1).toLowerCase();
  if (ext === 'csv') return 'csv';
  if (ext === 'parquet' || ext === 'pq') return 'parquet';
  if (ext === 'arrow' || ext === 'arrows' || ext === 'feather' || ext === 'ipc') return 'arrow';
  return undefined;
}

export interface PlaceFacts {
  readonly folder: string;
  readonly modelName: string;
  readonly input: BatchInput;
  /** The workspace folder holding the model folder, if any. */
  readonly workspaceRoot?: string;
  /** The folder of this model's last output, if it ran before. */
  readonly rememberedDir?: string;
}

/** The folder the output defaults to: never the model folder or anything inside it. */
export function defaultOutputDir(f: PlaceFacts): string {
  const allowed = (dir: string): boolean => !isInside(dir, f.folder);
  if (f.rememberedDir !== undefined && allowed(f.rememberedDir)) return f.rememberedDir;
  if ('file' in f.input) {
    const beside = path.dirname(f.input.file);
    if (allowed(beside)) return beside;
  }
  if (f.workspaceRoot !== undefined) {
    const inWorkspace = path.join(f.workspaceRoot, OUTPUT_FOLDER);
    if (allowed(inWorkspace)) return inWorkspace;
  }
  // The model folder is the workspace (or holds it): beside it.
  return path.join(path.dirname(f.folder), OUTPUT_FOLDER);
}

/** `<input name>.<model>-predictions.<ext>` for a file, `<model>-predictions.<ext>` for a query. */
export function defaultOutputName(modelName: string, input: BatchInput, format: ChosenFormat): string {
  const model = modelName.replace(/[^A-Za-z0-9_.-]+/g, '-');
  const base = 'file' in input ? `${path.basename(input.file).replace(/\.[^.]+$/, '')}.` : '';
  return `${base}${model}-predictions.${FORMAT_EXTENSION[format]}`;
}

export function defaultOutputPath(f: PlaceFacts, format: ChosenFormat): string {
  return path.join(defaultOutputDir(f), defaultOutputName(f.modelName, f.input, format));
}

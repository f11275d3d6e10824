/**
 * Shared pieces of the batch unit tests: temporary folders, input files written by independent
 * writers (apache-arrow, hyparquet-writer, plain text), manifests, and predictors that answer at the
 * wire level like the runtime does (no container: the integration tests use the real one).
 */
import * as arrow from 'apache-arrow';
import { promises as fs, writeFileSync } from 'fs';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import * as os from 'os';
import * as path from 'path';
import type { Field, Manifest } from '../../../src/model/manifest';
import { toV2Datatype } from '../../../src/model/dtypes';
import type { Predictor } from '../../../src/batch/run';
import type { ModelInferResponse } from '../../../src/protocol/v2types';
import { toInferParameters } from '../../../src/protocol/v2types';

export const REPO = path.resolve(__dirname, '..', '..', '..', '..');

export async function tempDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'pyml-batch-unit-'));
}

export function field(name: string, dtype: string, shape?: number[]): Field {
  const datatype = toV2Datatype(dtype);
  if (!datatype) throw new Error(`bad dtype ${dtype}`);
  return shape ? { name, dtype, datatype, shape } : { name, dtype, datatype };
}

export function manifest(inputs: Field[], outputs: Field[], kind: 'dataframe' | 'tensor' = 'dataframe'): Manifest {
  return {
    name: 'm',
    version: '0.1.0',
    module: 'model',
    className: 'M',
    kind,
    inputs,
    outputs,
    threadSafe: false,
    runtime: { env: {} },
  };
}

/**
 * A predictor that answers like the runtime's identity model: each declared output is the input of
 * the same name, bytes for bytes (validity companions too). `transform` may change FP64 outputs.
 */
export function identityPredictor(
  outputs: readonly Field[],
  options: { transform?: (x: number) => number; delayMs?: (batch: number) => number; failOn?: (request: { id?: string }) => Error | undefined } = {},
): Predictor & { calls: number } {
  const predictor = async (request: Parameters<Predictor>[0], signal: AbortSignal): Promise<ModelInferResponse> => {
    predictor.calls++;
    const batch = Number((request.id ?? 'batch-0').split('-')[1]);
    const delay = options.delayMs?.(batch) ?? 0;
    if (delay > 0) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, delay);
        signal.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(new Error('CANCELLED'));
        }, { once: true });
      });
    }
    if (signal.aborted) throw new Error('CANCELLED');
    const failure = options.failOn?.(request);
    if (failure) throw failure;
    const out: ModelInferResponse['outputs'][number][] = [];
    const raw: Buffer[] = [];
    for (const f of outputs) {
      const at = request.inputs.findIndex((t) => t.name === f.name);
      const input = request.inputs[at];
      const bytes = request.raw_input_contents?.[at];
      if (!input || !bytes) throw new Error(`no input ${f.name}`);
      let body = Buffer.from(bytes);
      if (options.transform && f.datatype === 'FP64') {
        const xs = new Float64Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));
        body = Buffer.from(Float64Array.from(xs, options.transform).buffer);
      }
      out.push({ name: f.name, datatype: f.datatype, shape: input.shape, parameters: toInferParameters(f.datatype === 'BYTES' ? { content_type: 'str' } : {}) });
      raw.push(body);
      const companion = request.inputs.findIndex((t) => t.name === `${f.name}:valid`);
      const valid = request.raw_input_contents[companion];
      if (companion >= 0 && valid) {
        out.push({ name: `${f.name}:valid`, datatype: 'BOOL', shape: input.shape, parameters: toInferParameters({ validity_of: f.name }) });
        raw.push(Buffer.from(valid));
      }
    }
    return { model_name: request.model_name, model_version: '0.1.0', id: request.id ?? '', parameters: {}, outputs: out, raw_output_contents: raw };
  };
  predictor.calls = 0;
  return predictor;
}

/** Writes an Arrow IPC file (or stream) of `table`. */
export function writeArrow(file: string, table: arrow.Table, stream = false): void {
  writeFileSync(file, arrow.tableToIPC(table, stream ? 'stream' : 'file'));
}

type ParquetColumn = { name: string; data: ArrayLike<unknown>; type: string; converted?: string; optional?: boolean };

/** Writes a Parquet file with hyparquet-writer, `rowGroupRows` rows per row group. */
export function writeParquet(file: string, columns: readonly ParquetColumn[], rowGroupRows = 1000): void {
  const out = new ByteWriter();
  const schema = [
    { name: 'schema', num_children: columns.length },
    ...columns.map((c) => ({ name: c.name, type: c.type, repetition_type: c.optional ? 'OPTIONAL' : 'REQUIRED', ...(c.converted ? { converted_type: c.converted } : {}) })),
  ];
  const writer = new ParquetWriter({ writer: out, schema: schema as ConstructorParameters<typeof ParquetWriter>[0]['schema'] });
  // Floats PLAIN: hyparquet-writer's dictionary would merge -0 into 0.
  const encoding = (c: ParquetColumn): { encoding?: 'PLAIN' } => (c.type === 'DOUBLE' || c.type === 'FLOAT' ? { encoding: 'PLAIN' } : {});
  void writer.write({ columnData: columns.map((c) => ({ name: c.name, data: c.data as number[], ...encoding(c) })), rowGroupSize: rowGroupRows });
  void writer.finish();
  writeFileSync(file, out.getBytes());
}

/** Files in a folder, hidden ones too. */
export async function listDir(dir: string): Promise<string[]> {
  return (await fs.readdir(dir)).sort();
}

/** Reads every row of an Arrow IPC file into a table. */
export async function readArrowFile(file: string): Promise<arrow.Table> {
  return arrow.tableFromIPC(await fs.readFile(file));
}

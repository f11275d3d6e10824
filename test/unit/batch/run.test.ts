import * as assert from 'assert';
import * as arrow from 'apache-arrow';
import { promises as fs } from 'fs';
import * as path from 'path';
import { BatchCancelledError, BatchFailedError, SchemaMismatchError } from '../../../src/batch/batchErrors';
import { InputError } from '../../../src/tables/errors';
import { openSource } from '../../../src/batch/readers';
import { checkInput, runBatch, type BatchProgress, type Predictor } from '../../../src/batch/run';
import type { ModelInferResponse } from '../../../src/protocol/v2types';
import { batchesOf, type SourceChunk, type TableSource } from '../../../src/tables/source';
import { field, identityPredictor, listDir, manifest, readArrowFile, tempDir, writeParquet } from './helpers';

const model = manifest([field('x', 'float64'), field('n', 'int64'), field('label', 'string')], [field('x', 'float64'), field('label', 'string')]);

async function csvInput(dir: string, rows: number, mutate?: (i: number) => string | undefined): Promise<string> {
  const lines = ['id,x,n,label,extra'];
  for (let i = 0; i < rows; i++) lines.push(mutate?.(i) ?? `id${i},${i / 4},${i * 2},"r, ${i}",zzz`);
  const file = path.join(dir, `in-${rows}-${Math.random().toString(16).slice(2)}.csv`);
  await fs.writeFile(file, lines.join('\n'));
  return file;
}

describe('batch run', function () {
  this.timeout(20_000);
  let dir: string;
  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('CSV -> Arrow: keys next to outputs, in input order, with concurrent batches answering out of order', async () => {
    const input = await csvInput(dir, 95);
    const source = await openSource({ kind: 'file', path: input });
    const plan = checkInput(model, source.fields, ['id']);
    // Later batches answer first: the writer must still keep input order.
    const predictor = identityPredictor(model.outputs, { transform: (x) => x * 2, delayMs: (b) => (b % 3 === 1 ? 30 : 1) });
    const progress: BatchProgress[] = [];
    const output = path.join(dir, 'out.arrow');
    const result = await runBatch({ model, source, plan, predictor, output, format: 'arrow', rowsPerBatch: 10, inFlight: 3, onProgress: (p) => progress.push(p) });
    await source.close();
    assert.deepStrictEqual({ rows: result.rows, batches: result.batches }, { rows: 95, batches: 10 });
    assert.strictEqual(predictor.calls, 10);
    const table = await readArrowFile(output);
    assert.deepStrictEqual(table.schema.fields.map((f) => f.name), ['id', 'x', 'label']);
    for (let i = 0; i < 95; i++) {
      assert.strictEqual(table.getChild('id')?.get(i), `id${i}`);
      assert.strictEqual(table.getChild('x')?.get(i), (i / 4) * 2);
      assert.strictEqual(table.getChild('label')?.get(i), `r, ${i}`);
    }
    assert.deepStrictEqual(progress.map((p) => p.rowsDone), [10, 20, 30, 40, 50, 60, 70, 80, 90, 95]);
    assert.ok(progress.every((p) => p.rowsPerSecond > 0));
    assert.deepStrictEqual(await listDir(dir).then((l) => l.filter((f) => f.startsWith('.'))), [], 'no temporary file left');
  });

  it('Parquet -> CSV with nulls carried through validity companions', async () => {
    const input = path.join(dir, 'in.parquet');
    writeParquet(input, [
      { name: 'x', data: [1.5, null, 3], type: 'DOUBLE', optional: true },
      { name: 'n', data: [1n, 2n, null], type: 'INT64', optional: true },
      { name: 'label', data: ['a', null, 'c'], type: 'BYTE_ARRAY', converted: 'UTF8', optional: true },
      { name: 'key', data: [10, 20, 30], type: 'INT32' },
    ]);
    const source = await openSource({ kind: 'file', path: input });
    const plan = checkInput(model, source.fields, ['key']);
    const output = path.join(dir, 'out.csv');
    await runBatch({ model, source, plan, predictor: identityPredictor(model.outputs), output, format: 'csv', rowsPerBatch: 2 });
    await source.close();
    // A missing float travels as NaN (pandas' own missing value); a missing string comes back missing.
    assert.strictEqual(await fs.readFile(output, 'utf8'), 'key,x,label\n10,1.5,a\n20,NaN,\n30,3,c\n');
  });

  it('stops at the failing batch, names its rows and the error, and writes nothing', async () => {
    const input = await csvInput(dir, 50);
    const output = path.join(dir, 'out.parquet');
    const source = await openSource({ kind: 'file', path: input });
    const plan = checkInput(model, source.fields, []);
    const predictor = identityPredictor(model.outputs, { failOn: (r) => (r.id === 'batch-3' ? new Error('ValueError: bad row (model.py:7 in predict)') : undefined) });
    await assert.rejects(
      runBatch({ model, source, plan, predictor, output, format: 'parquet', rowsPerBatch: 10 }),
      (e: Error) => {
        assert.ok(e instanceof BatchFailedError);
        assert.deepStrictEqual([e.batch, e.rowStart, e.rowEnd], [3, 20, 30]);
        assert.strictEqual(e.message, 'Batch 3 (rows 21-30 of the input) failed: ValueError: bad row (model.py:7 in predict)');
        return true;
      },
    );
    await source.close();
    assert.deepStrictEqual(await listDir(dir), [path.basename(input)]);
  });

  it('cancel stops reading and sending and leaves no output file', async () => {
    const input = await csvInput(dir, 200);
    const output = path.join(dir, 'out.csv');
    const source = await openSource({ kind: 'file', path: input });
    const plan = checkInput(model, source.fields, []);
    const ctrl = new AbortController();
    const predictor = identityPredictor(model.outputs, { delayMs: () => 5 });
    await assert.rejects(
      runBatch({
        model, source, plan, predictor, output, format: 'csv', rowsPerBatch: 10, signal: ctrl.signal,
        onProgress: (p) => {
          if (p.batchesDone === 2) ctrl.abort();
        },
      }),
      (e: Error) => e instanceof BatchCancelledError && /no output file was written/.test(e.message),
    );
    await source.close();
    assert.ok(predictor.calls < 20, `${predictor.calls} requests sent`);
    assert.deepStrictEqual(await listDir(dir), [path.basename(input)]);
  });

  it('a bad value stops the run naming its row; earlier batches are not kept', async () => {
    const input = await csvInput(dir, 40, (i) => (i === 33 ? 'id33,oops,1,x,z' : undefined));
    const output = path.join(dir, 'out.csv');
    const source = await openSource({ kind: 'file', path: input });
    const plan = checkInput(model, source.fields, []);
    await assert.rejects(runBatch({ model, source, plan, predictor: identityPredictor(model.outputs), output, format: 'csv', rowsPerBatch: 10 }), (e: Error) => e instanceof InputError && /row 34, column 'x': 'oops' is not a number/.test(e.message));
    await source.close();
    assert.deepStrictEqual(await listDir(dir), [path.basename(input)]);
  });

  it('a schema mismatch is found before anything is sent or written', async () => {
    const input = path.join(dir, 'in.csv');
    await fs.writeFile(input, 'x,label\n1,a\n');
    const source = await openSource({ kind: 'file', path: input });
    assert.throws(() => checkInput(model, source.fields, ['id']), (e: Error) => e instanceof SchemaMismatchError && /'n'.*\n.*'id'/s.test(e.message));
    await source.close();
  });

  it('answers with the wrong row count fail the batch', async () => {
    const input = await csvInput(dir, 5);
    const source = await openSource({ kind: 'file', path: input });
    const plan = checkInput(model, source.fields, []);
    const base = identityPredictor(model.outputs);
    const short = async (...args: Parameters<typeof base>): ReturnType<typeof base> => {
      const r = await base(...args);
      return { ...r, outputs: r.outputs.map((o) => ({ ...o, shape: [1] })), raw_output_contents: r.raw_output_contents.map((b, i) => (i === 0 ? b.subarray(0, 8) : Buffer.from([1, 0, 0, 0, 0x61]))) };
    };
    await assert.rejects(
      runBatch({ model, source, plan, predictor: short, output: path.join(dir, 'o.csv'), format: 'csv', rowsPerBatch: 5 }),
      /Batch 1 \(rows 1-5 of the input\) failed: x: the answer has 1 rows for a batch of 5/,
    );
    await source.close();
  });

  it('runs tensor models whose tensors are columns', async () => {
    const tensor = manifest([field('a', 'float32', [-1, 1])], [field('a', 'float32', [-1, 1])], 'tensor');
    const input = path.join(dir, 't.arrow');
    await fs.writeFile(input, arrow.tableToIPC(new arrow.Table({ a: arrow.makeVector(new Float32Array([0.5, 1.5, 2.5])) })));
    const source = await openSource({ kind: 'file', path: input });
    const plan = checkInput(tensor, source.fields, []);
    let shape: readonly number[] = [];
    const base = identityPredictor(tensor.outputs);
    const spy: typeof base = Object.assign(async (...args: Parameters<typeof base>) => {
      shape = args[0].inputs[0]?.shape ?? [];
      assert.strictEqual(args[0].parameters?.['content_type'], undefined);
      return base(...args);
    }, { calls: 0 });
    await runBatch({ model: tensor, source, plan, predictor: spy, output: path.join(dir, 'o.csv'), format: 'csv', rowsPerBatch: 2 });
    await source.close();
    assert.deepStrictEqual(shape, [1, 1]);
    assert.strictEqual(await fs.readFile(path.join(dir, 'o.csv'), 'utf8'), 'a\n0.5\n1.5\n2.5\n');
  });
});

describe('batch run: answers and input memory handed back for reuse', function () {
  this.timeout(20_000);
  const numeric = manifest([field('x', 'float64')], [field('x', 'float64')]);

  /** A predictor whose recycled answers are overwritten at once, as their memory's next use would. */
  function poisoningPredictor(): Predictor & { calls: number; recycled: number } {
    const inner = identityPredictor(numeric.outputs, { transform: (x) => x + 1 });
    const predictor = Object.assign((request: Parameters<Predictor>[0], signal: AbortSignal) => inner(request, signal), {
      calls: 0,
      recycled: 0,
      recycle: (response: ModelInferResponse) => {
        predictor.recycled++;
        for (const raw of response.raw_output_contents) raw.fill(0xff);
      },
    });
    return predictor;
  }

  async function values(file: string): Promise<number[]> {
    const source = await openSource({ kind: 'file', path: file });
    const out: number[] = [];
    for await (const b of batchesOf(source, [{ name: 'x', type: new arrow.Float64() }], 1000)) out.push(...(b.table.getChildAt(0)?.toArray() as Float64Array));
    await source.close();
    return out;
  }

  it('Parquet: an answer comes back only after its rows are written out, row groups straddling batches', async () => {
    const dir = await tempDir();
    const input = path.join(dir, 'in.csv');
    await fs.writeFile(input, ['x', ...Array.from({ length: 95 }, (_, i) => String(i / 8))].join('\n'));
    const source = await openSource({ kind: 'file', path: input });
    const plan = checkInput(numeric, source.fields, []);
    const predictor = poisoningPredictor();
    const output = path.join(dir, 'out.parquet');
    await runBatch({ model: numeric, source, plan, predictor, output, format: 'parquet', rowsPerBatch: 10, inFlight: 3, rowGroupRows: 25 });
    await source.close();
    assert.ok(predictor.recycled >= 6, `answers handed back: ${predictor.recycled}`);
    assert.deepStrictEqual(await values(output), Array.from({ length: 95 }, (_, i) => i / 8 + 1));
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('Parquet input: a row group goes back to the reader only once every batch cut from it is answered and written out', async () => {
    const dir = await tempDir();
    const input = path.join(dir, 'in.parquet');
    const n = 95;
    // 25-row groups, 10-row batches: batches straddle groups; the key column is written out from the input's memory.
    writeParquet(input, [
      { name: 'id', data: Array.from({ length: n }, (_, i) => i), type: 'DOUBLE' },
      { name: 'x', data: Array.from({ length: n }, (_, i) => i / 8), type: 'DOUBLE' },
    ], 25);
    const source = await openSource({ kind: 'file', path: input });
    let released = 0;
    // Memory handed back is overwritten at once, as the reader's next row group would.
    async function* poisoned(chunks: AsyncIterable<SourceChunk>): AsyncGenerator<SourceChunk> {
      for await (const c of chunks) {
        const release = c.release ?? assert.fail('the fast Parquet path hands out releasable row groups');
        yield {
          ...c,
          release: () => {
            released++;
            for (const column of c.columns) for (const d of column.data) (d.values as Float64Array).fill(NaN);
            release();
          },
        };
      }
    }
    const poisoning: TableSource = { ...source, chunks: (columns, signal) => poisoned(source.chunks(columns, signal)) };
    const plan = checkInput(numeric, source.fields, ['id']);
    const predictor = poisoningPredictor();
    const output = path.join(dir, 'out.parquet');
    await runBatch({ model: numeric, source: poisoning, plan, predictor, output, format: 'parquet', rowsPerBatch: 10, inFlight: 3, rowGroupRows: 25 });
    await source.close();
    // Rows 0-49 were written out (two 25-row output groups) while the run went on: the two input groups
    // under them went back. The batch of rows 70-79 was written out only by the commit, which ends the run.
    assert.strictEqual(released, 2, 'the row groups whose batches were all written out during the run went back');
    const out = await openSource({ kind: 'file', path: output });
    const ids: number[] = [];
    const xs: number[] = [];
    for await (const b of batchesOf(out, [{ name: 'id', type: new arrow.Float64() }, { name: 'x', type: new arrow.Float64() }], 1000)) {
      ids.push(...(b.table.getChildAt(0)?.toArray() as Float64Array));
      xs.push(...(b.table.getChildAt(1)?.toArray() as Float64Array));
    }
    await out.close();
    assert.deepStrictEqual(ids, Array.from({ length: n }, (_, i) => i));
    assert.deepStrictEqual(xs, Array.from({ length: n }, (_, i) => i / 8 + 1));
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('Parquet input: the next row group is decoded into the memory handed back', async () => {
    const dir = await tempDir();
    const input = path.join(dir, 'in.parquet');
    writeParquet(input, [{ name: 'x', data: Array.from({ length: 60 }, (_, i) => i * 1.5), type: 'DOUBLE' }], 20);
    const source = await openSource({ kind: 'file', path: input });
    const buffers: ArrayBufferLike[] = [];
    const values: number[] = [];
    for await (const chunk of source.chunks([{ name: 'x', type: new arrow.Float64() }])) {
      const data = chunk.columns[0]?.data[0];
      buffers.push((data?.values as Float64Array | undefined)?.buffer ?? assert.fail('no column'));
      values.push(...(chunk.columns[0]?.toArray() as Float64Array));
      if (buffers.length === 1) chunk.release?.(); // the second group reuses the first's; the third gets its own
    }
    await source.close();
    assert.deepStrictEqual(values, Array.from({ length: 60 }, (_, i) => i * 1.5));
    assert.strictEqual(buffers[1], buffers[0]);
    assert.notStrictEqual(buffers[2], buffers[1]);
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('CSV and Arrow: sinks that may keep views get nothing back', async () => {
    const dir = await tempDir();
    const input = path.join(dir, 'in.csv');
    await fs.writeFile(input, ['x', ...Array.from({ length: 40 }, (_, i) => String(i))].join('\n'));
    for (const format of ['csv', 'arrow'] as const) {
      const source = await openSource({ kind: 'file', path: input });
      const predictor = poisoningPredictor();
      const output = path.join(dir, `out.${format}`);
      await runBatch({ model: numeric, source, plan: checkInput(numeric, source.fields, []), predictor, output, format, rowsPerBatch: 10 });
      await source.close();
      assert.strictEqual(predictor.recycled, 0, format);
    }
    assert.deepStrictEqual(await values(path.join(dir, 'out.csv')), Array.from({ length: 40 }, (_, i) => i + 1));
    await fs.rm(dir, { recursive: true, force: true });
  });
});

/**
 * The batch's fast paths give the same values, bit for bit, as the general ones: Parquet written
 * straight from Arrow buffers (writers/parquetPages.ts) reads back through both readers as the exact
 * input bits; the fast Parquet reader (tables/parquetFast.ts) gives what hyparquet decodes; a
 * ModelInferRequest serialized with its raw contents appended (protocol/inferRequestBytes.ts) parses
 * to the message protobufjs would have sent.
 */
import * as assert from 'assert';
import * as arrow from 'apache-arrow';
import * as protoLoader from '@grpc/proto-loader';
import * as path from 'path';
import { parquetMetadataAsync, parquetRead, type DecodedArray } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { promises as fs } from 'fs';
import { openSink } from '../../../src/batch/writers/sink';
import { openParquet } from '../../../src/tables/parquet';
import { tableOf } from '../../../src/tables/source';
import { withFastInferSerializer } from '../../../src/protocol/inferRequestBytes';
import type { ColumnRead } from '../../../src/tables/fields';
import { REPO, tempDir, writeParquet } from './helpers';

const ROWS = 5000;

/** Reproducible values with the awkward ones in: -0, NaN with payloads, infinities, extremes. */
function columns(ROWS: number): { name: string; type: arrow.DataType; values: Float64Array | Float32Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array }[] {
  let seed = 7;
  const next = (): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return seed >>> 0;
  };
  const f64 = Float64Array.from({ length: ROWS }, () => (next() / 2 ** 32 - 0.5) * 1e6);
  const bits = new BigUint64Array(f64.buffer);
  bits[1] = 0x7ff8000000000001n; // NaN with a payload
  bits[2] = 0xfff0000000000abcn; // signalling NaN, sign set
  f64[3] = -0;
  f64[4] = Infinity;
  const constant = new Float64Array(ROWS).fill(1.5); // compresses: those pages are Snappy'd
  const f32 = Float32Array.from({ length: ROWS }, () => next() / 2 ** 32);
  f32[0] = -0;
  return [
    { name: 'f64', type: new arrow.Float64(), values: f64 },
    { name: 'same', type: new arrow.Float64(), values: constant },
    { name: 'f32', type: new arrow.Float32(), values: f32 },
    { name: 'i32', type: new arrow.Int32(), values: Int32Array.from({ length: ROWS }, () => next() | 0) },
    { name: 'u32', type: new arrow.Uint32(), values: Uint32Array.from({ length: ROWS }, () => next()) },
    { name: 'i64', type: new arrow.Int64(), values: BigInt64Array.from({ length: ROWS }, (_, i) => BigInt.asIntN(64, (BigInt(next()) << 32n) | BigInt(i))) },
    { name: 'u64', type: new arrow.Uint64(), values: BigUint64Array.from({ length: ROWS }, () => (BigInt(next()) << 32n) | BigInt(next())) },
  ];
}

function bytesOf(view: ArrayBufferView): Buffer {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

/** Every column of the file through openParquet, joined, as bytes. */
async function readFast(file: string, reads: readonly ColumnRead[]): Promise<Buffer[]> {
  const source = await openParquet(file);
  const parts: Buffer[][] = reads.map(() => []);
  for await (const chunk of source.chunks(reads)) {
    chunk.columns.forEach((c, j) => {
      for (const d of c.data) parts[j]?.push(Buffer.from(bytesOf(d.values as ArrayBufferView)));
    });
  }
  await source.close();
  return parts.map((p) => Buffer.concat(p));
}

/** Every column of the file through hyparquet itself (the general reader), as bytes. */
async function readGeneral(file: string, reads: readonly ColumnRead[]): Promise<Buffer[]> {
  const data = await fs.readFile(file);
  const buffer = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
  const metadata = await parquetMetadataAsync(buffer);
  const out: Buffer[] = [];
  for (const r of reads) {
    const pieces: { rowStart: number; data: DecodedArray }[] = [];
    await parquetRead({ file: buffer, metadata, columns: [r.name], compressors, onChunk: (c) => pieces.push({ rowStart: c.rowStart, data: c.columnData }) });
    pieces.sort((a, b) => a.rowStart - b.rowStart);
    const Ctor = columns(ROWS).find((c) => c.name === r.name)?.values.constructor as new (a: ArrayLike<unknown>) => ArrayBufferView;
    out.push(Buffer.concat(pieces.map((p) => Buffer.from(bytesOf(ArrayBuffer.isView(p.data) ? (p.data as ArrayBufferView) : new Ctor(p.data as ArrayLike<unknown>))))));
  }
  return out;
}

/** Equal value for value as JavaScript sees them (Object.is: -0 is not 0, every NaN is NaN). */
function assertSameNumbers(actual: Buffer | undefined, values: ArrayLike<unknown> & ArrayBufferView, column: string): void {
  const Ctor = values.constructor as new (buffer: ArrayBuffer, offset: number, length: number) => ArrayLike<unknown>;
  assert.ok(actual, `column ${column}: not read back`);
  const copy = Uint8Array.prototype.slice.call(actual);
  const got = new Ctor(copy.buffer, 0, values.length);
  assert.strictEqual(copy.byteLength, values.byteLength, `column ${column}: byte length`);
  for (let i = 0; i < values.length; i++) {
    if (!Object.is(got[i], values[i])) assert.fail(`column ${column}, row ${i}: read back ${String(got[i])}, wrote ${String(values[i])}`);
  }
}

describe('batch fast paths: the same bits as the general paths', function () {
  this.timeout(60_000);

  // Small batches are gathered into whole pages; big ones are pages of their own where each batch ends.
  const layouts = [
    { rows: ROWS, batchRows: 700, groupRows: 1024 },
    { rows: 300_000, batchRows: 70_000, groupRows: 200_000 },
  ];
  for (const { rows, batchRows, groupRows } of layouts) {
    for (const nullable of [false, true]) {
      it(`Parquet written from Arrow buffers (${nullable ? 'OPTIONAL' : 'REQUIRED'} columns, batches of ${batchRows} rows across row groups of ${groupRows}) reads back as the exact input bits`, async () => {
        const dir = await tempDir();
        const output = path.join(dir, 'out.parquet');
        const cols = columns(rows);
        const schema = new arrow.Schema(cols.map((c) => new arrow.Field(c.name, c.type, nullable)));
        const sink = await openSink({ output, format: 'parquet', schema, rowGroupRows: groupRows });
        for (let at = 0; at < rows; at += batchRows) {
          const end = Math.min(rows, at + batchRows);
          await sink.write(tableOf(schema, cols.map((c) => arrow.makeVector(c.values.slice(at, end) as Float64Array) as arrow.Vector)));
        }
        await sink.commit();
        const reads = cols.map((c) => ({ name: c.name, type: c.type }));
        const expected = cols.map((c) => bytesOf(c.values));
        assert.deepStrictEqual(await readFast(output, reads), expected, 'the fast reader');
        const general = await readGeneral(output, reads);
        if (!nullable) assert.deepStrictEqual(general, expected, 'hyparquet');
        // hyparquet hands OPTIONAL columns over as JavaScript numbers, which keep -0 but not NaN payloads
        // (whether a payload survives depends on how far V8 has optimized the code that copies them).
        else cols.forEach((c, j) => { assertSameNumbers(general[j], c.values, c.name); });
        await fs.rm(dir, { recursive: true, force: true });
      });
    }
  }

  it('the fast reader gives what hyparquet decodes, and hands other files to it (dictionary ints, v1 pages)', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'in.parquet');
    const cols = columns(ROWS);
    writeParquet(file, [
      { name: 'f64', type: 'DOUBLE', data: cols[0]?.values as Float64Array },
      { name: 'same', type: 'DOUBLE', data: cols[1]?.values as Float64Array, optional: true },
      { name: 'f32', type: 'FLOAT', data: cols[2]?.values as Float32Array },
      { name: 'i32', type: 'INT32', data: cols[3]?.values as Int32Array },
      { name: 'i64', type: 'INT64', data: cols[5]?.values as BigInt64Array },
    ], 1500);
    const reads = ['f64', 'same', 'f32', 'i32', 'i64'].map((name) => ({ name, type: cols.find((c) => c.name === name)?.type as arrow.DataType }));
    const fast = await readFast(file, reads);
    assert.deepStrictEqual(fast, await readGeneral(file, reads));
    assert.deepStrictEqual(fast[0], bytesOf(cols[0]?.values as Float64Array));
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('a ModelInferRequest with raw contents appended parses to the message protobufjs sends', () => {
    const pkg = protoLoader.loadSync(path.join(REPO, 'runtime', 'pyml', 'proto', 'grpc_predict_v2.proto'), { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
    const service = pkg['inference.GRPCInferenceService'] as unknown as Parameters<typeof withFastInferSerializer>[0];
    const plain = service['ModelInfer'];
    const fast = withFastInferSerializer(service)['ModelInfer'];
    assert.ok(plain && fast);
    const request = {
      model_name: 'm',
      id: 'batch-3',
      parameters: { content_type: { string_param: 'pd' } },
      inputs: [{ name: 'a', datatype: 'FP64', shape: [300] }, { name: 'b', datatype: 'INT32', shape: [300] }],
      raw_input_contents: [bytesOf(Float64Array.from({ length: 300 }, (_, i) => i / 7)), bytesOf(Int32Array.from({ length: 300 }, (_, i) => -i))],
    };
    const fastBytes = fast.requestSerialize(request);
    const plainBytes = plain.requestSerialize(request);
    assert.deepStrictEqual(plain.requestDeserialize(fastBytes), plain.requestDeserialize(plainBytes));
    assert.strictEqual(fastBytes.byteLength, plainBytes.byteLength);
  });
});

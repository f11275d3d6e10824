import * as assert from 'assert';
import * as arrow from 'apache-arrow';
import { promises as fs } from 'fs';
import * as path from 'path';
import type { ColumnRead } from '../../../src/tables/fields';
import { loadDuckDb, type DuckDbModule } from '../../../src/batch/duckdb';
import { openSource } from '../../../src/batch/readers';
import { tableOf } from '../../../src/tables/source';
import { openSink, outputFormatOf, partialPath, type OutputFormat } from '../../../src/batch/writers/sink';
import { listDir, readArrowFile, REPO, tempDir } from './helpers';
import { missingPrerequisite } from '../../prerequisite';

/** An output table with every column type a run writes, nulls where the schema allows them. */
function sampleTable(rows: number, offset = 0): arrow.Table {
  const schema = new arrow.Schema([
    new arrow.Field('id', new arrow.Int64(), true),
    new arrow.Field('label', new arrow.Utf8(), true),
    new arrow.Field('y', new arrow.Float64(), false),
    new arrow.Field('f', new arrow.Float32(), false),
    new arrow.Field('n', new arrow.Int32(), true),
    new arrow.Field('u', new arrow.Uint32(), true),
    new arrow.Field('ok', new arrow.Bool(), true),
  ]);
  const at = (i: number): number => offset + i;
  return tableOf(schema, [
    arrow.vectorFromArray(Array.from({ length: rows }, (_, i) => (at(i) % 7 === 3 ? null : BigInt(at(i)) * 1000000007n)), new arrow.Int64()),
    arrow.vectorFromArray(Array.from({ length: rows }, (_, i) => (at(i) % 5 === 1 ? null : `row ${at(i)}, "quoted"`)), new arrow.Utf8()),
    arrow.makeVector(Float64Array.from({ length: rows }, (_, i) => (at(i) === 2 ? NaN : at(i) === 4 ? -0 : at(i) / 3))),
    arrow.makeVector(Float32Array.from({ length: rows }, (_, i) => at(i) / 10)),
    arrow.vectorFromArray(Array.from({ length: rows }, (_, i) => (at(i) % 4 === 0 ? null : at(i) - 50)), new arrow.Int32()),
    arrow.makeVector(Uint32Array.from({ length: rows }, (_, i) => 4000000000 + at(i))),
    arrow.vectorFromArray(Array.from({ length: rows }, (_, i) => (at(i) % 6 === 5 ? null : at(i) % 2 === 0)), new arrow.Bool()),
  ]);
}

const READS: ColumnRead[] = [
  { name: 'id', type: new arrow.Int64() },
  { name: 'label', type: new arrow.Utf8() },
  { name: 'y', type: new arrow.Float64() },
  { name: 'f', type: new arrow.Float32() },
  { name: 'n', type: new arrow.Int32() },
  { name: 'u', type: new arrow.Uint32() },
  { name: 'ok', type: new arrow.Bool() },
];

async function readBack(file: string): Promise<unknown[][]> {
  const source = await openSource({ kind: 'file', path: file });
  const rows: unknown[][] = [];
  for await (const chunk of source.chunks(READS)) {
    for (let i = 0; i < chunk.rows; i++) rows.push(chunk.columns.map((c) => c.get(i) as unknown));
  }
  await source.close();
  return rows;
}

function rowsOf(table: arrow.Table): unknown[][] {
  const out: unknown[][] = [];
  for (let i = 0; i < table.numRows; i++) out.push(table.schema.fields.map((f) => table.getChild(f.name)?.get(i) as unknown));
  return out;
}

describe('batch output writers', function () {
  this.timeout(20_000);
  let dir: string;
  let duckdb: DuckDbModule | undefined;
  before(async () => {
    dir = await tempDir();
    try {
      duckdb = loadDuckDb([REPO]);
    } catch {
      duckdb = undefined;
    }
  });
  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('knows formats by extension', () => {
    assert.strictEqual(outputFormatOf('x.parquet'), 'parquet');
    assert.strictEqual(outputFormatOf('x.CSV'), 'csv');
    assert.strictEqual(outputFormatOf('x.feather'), 'arrow');
    assert.strictEqual(outputFormatOf('x.arrows'), 'arrows');
    assert.strictEqual(outputFormatOf('x.xlsx'), undefined);
    assert.match(path.basename(partialPath('/a/out.parquet')), /^\.out\.parquet\.[0-9a-f]{8}\.partial$/);
  });

  for (const format of ['parquet', 'csv', 'arrow', 'arrows'] as OutputFormat[]) {
    it(`${format}: writes batches to a hidden temporary file and renames it only on commit; reads back the same values`, async () => {
      const output = path.join(dir, `out.${format}`);
      const parts = [sampleTable(700, 0), sampleTable(300, 700), sampleTable(1, 1000)];
      const sink = await openSink({ output, format, schema: parts[0]?.schema as arrow.Schema, rowGroupRows: 512 });
      for (const t of parts) await sink.write(t);
      assert.deepStrictEqual(await listDir(dir).then((l) => l.filter((f) => f.startsWith('out.'))), [], 'no file under the output name before commit');
      assert.ok((await listDir(dir)).includes(path.basename(sink.tempPath)));
      const bytes = await sink.commit();
      assert.ok(bytes > 0);
      assert.ok(!(await listDir(dir)).some((f) => f.endsWith('.partial')), 'the temporary file is gone');
      const expected = parts.flatMap(rowsOf);
      const actual = await readBack(output);
      assert.strictEqual(actual.length, 1001);
      for (let i = 0; i < expected.length; i++) {
        // CSV cannot tell a missing text from an empty one: both are an empty field.
        const e = (expected[i] ?? []).map((v, j) => (format === 'csv' && j === 1 && v === null ? '' : normalize(v)));
        const a = (actual[i] ?? []).map(normalize);
        assert.deepStrictEqual(a, e, `row ${i}`);
      }
      await fs.rm(output);
    });
  }

  it('arrow: keeps the float64 bits exactly (NaN payload and -0 included)', async () => {
    const output = path.join(dir, 'bits.arrow');
    const x = new Float64Array([NaN, -0, 0.1, 5e-324]);
    new DataView(x.buffer).setUint32(4, 0x7ff80001, true); // a NaN with a payload
    const schema = new arrow.Schema([new arrow.Field('x', new arrow.Float64(), false)]);
    const sink = await openSink({ output, format: 'arrow', schema });
    await sink.write(tableOf(schema, [arrow.makeVector(x)]));
    await sink.commit();
    const back = (await readArrowFile(output)).getChild('x')?.toArray() as Float64Array;
    assert.deepStrictEqual(Buffer.from(back.buffer, back.byteOffset, back.byteLength), Buffer.from(x.buffer));
  });

  it('parquet: keeps float bits exactly, -0 and NaN payloads included, however often a value repeats', async () => {
    const output = path.join(dir, 'bits.parquet');
    const x = Float64Array.from({ length: 3000 }, (_, i) => [0, -0, 1.5, NaN][i % 4] ?? 0);
    new DataView(x.buffer).setUint32(4 * 8 + 4, 0x7ff80001, true); // row 4 (was 0): a NaN with a payload
    const schema = new arrow.Schema([new arrow.Field('x', new arrow.Float64(), false)]);
    const sink = await openSink({ output, format: 'parquet', schema });
    await sink.write(tableOf(schema, [arrow.makeVector(x)]));
    await sink.commit();
    const source = await openSource({ kind: 'file', path: output });
    const back: number[] = [];
    for await (const chunk of source.chunks([{ name: 'x', type: new arrow.Float64() }])) back.push(...(chunk.columns[0]?.toArray() as Float64Array));
    await source.close();
    assert.ok(Buffer.from(Float64Array.from(back).buffer).equals(Buffer.from(x.buffer)));
  });

  it('parquet: DuckDB reads the file with the declared types and nullability', async function () {
    if (!duckdb) missingPrerequisite(this, 'DuckDB is not installed (optional dependency)');
    const output = path.join(dir, 'typed.parquet');
    const table = sampleTable(50);
    const sink = await openSink({ output, format: 'parquet', schema: table.schema });
    await sink.write(table);
    await sink.commit();
    const instance = await duckdb.DuckDBInstance.create(':memory:');
    const conn = await instance.connect();
    const described = await conn.runAndReadAll(`SELECT column_name, column_type, "null" FROM (DESCRIBE SELECT * FROM '${output}')`);
    assert.deepStrictEqual(described.getRows().map((r) => `${String(r[0])}:${String(r[1])}`), [
      'id:BIGINT', 'label:VARCHAR', 'y:DOUBLE', 'f:FLOAT', 'n:INTEGER', 'u:UINTEGER', 'ok:BOOLEAN',
    ]);
    const sums = await conn.runAndReadAll(`SELECT count(*), count(id), max(u), sum(n) FROM '${output}'`);
    const [row] = sums.getRows();
    const n = table.getChild('n');
    let sum = 0;
    for (let i = 0; i < table.numRows; i++) sum += (n?.get(i) as number | null) ?? 0;
    assert.deepStrictEqual(row?.map(String), ['50', String(50 - 7), String(4000000049), String(sum)]);
    conn.closeSync();
    instance.closeSync();
  });

  it('abort deletes the temporary file and leaves an existing output untouched', async () => {
    const output = path.join(dir, 'keep.csv');
    await fs.writeFile(output, 'old\n');
    const table = sampleTable(10);
    for (const format of ['csv', 'parquet', 'arrow'] as OutputFormat[]) {
      const sink = await openSink({ output, format, schema: table.schema });
      await sink.write(table);
      await sink.abort();
      assert.deepStrictEqual((await listDir(dir)).filter((f) => f.includes('keep')), ['keep.csv'], format);
    }
    assert.strictEqual(await fs.readFile(output, 'utf8'), 'old\n');
  });

  it('an empty run still writes a file with the columns', async () => {
    const output = path.join(dir, 'empty.csv');
    const sink = await openSink({ output, format: 'csv', schema: sampleTable(0).schema });
    await sink.commit();
    assert.strictEqual(await fs.readFile(output, 'utf8'), 'id,label,y,f,n,u,ok\n');
  });

  it('refuses an output folder that does not exist', async () => {
    await assert.rejects(openSink({ output: path.join(dir, 'no', 'x.csv'), format: 'csv', schema: sampleTable(0).schema }), /does not exist/);
  });
});

/** Values compared across formats: NaN as a marker, -0 kept apart from 0. */
function normalize(v: unknown): unknown {
  if (typeof v === 'number' && Number.isNaN(v)) return 'NaN';
  if (typeof v === 'number' && Object.is(v, -0)) return '-0';
  return v;
}

import * as assert from 'assert';
import * as arrow from 'apache-arrow';
import { promises as fs } from 'fs';
import * as path from 'path';
import { arrowTypeName, type ColumnRead } from '../../../src/tables/fields';
import { loadDuckDb, DuckDbMissingError } from '../../../src/batch/duckdb';
import { InputError } from '../../../src/tables/errors';
import { openSource } from '../../../src/batch/readers';
import { inputFormatOf } from '../../../src/tables';
import type { TableSource } from '../../../src/tables/source';
import { REPO, tempDir, writeArrow, writeParquet } from './helpers';
import { missingPrerequisite } from '../../prerequisite';

async function readAll(source: TableSource, columns: readonly ColumnRead[]): Promise<{ rows: unknown[][]; chunks: number; fractions: number[] }> {
  const rows: unknown[][] = [];
  let chunks = 0;
  const fractions: number[] = [];
  for await (const chunk of source.chunks(columns)) {
    chunks++;
    if (chunk.fraction !== undefined) fractions.push(chunk.fraction);
    for (let i = 0; i < chunk.rows; i++) rows.push(chunk.columns.map((c) => c.get(i) as unknown));
  }
  await source.close();
  return { rows, chunks, fractions };
}

const read = (name: string, type: arrow.DataType, asText = false): ColumnRead => (asText ? { name, type, asText } : { name, type });

describe('batch input readers', function () {
  this.timeout(20_000);
  let dir: string;
  before(async () => {
    dir = await tempDir();
  });
  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('knows formats by extension', () => {
    assert.strictEqual(inputFormatOf('a/b.PARQUET'), 'parquet');
    assert.strictEqual(inputFormatOf('x.tsv'), 'csv');
    assert.strictEqual(inputFormatOf('x.ndjson'), 'jsonl');
    assert.strictEqual(inputFormatOf('x.feather'), 'arrow');
    assert.strictEqual(inputFormatOf('x.xlsx'), undefined);
  });

  describe('CSV', () => {
    it('reads the header, quoted fields with commas, quotes and line breaks, a BOM, CRLF', async () => {
      const file = path.join(dir, 'q.csv');
      await fs.writeFile(file, '\uFEFFid,x,label\r\n1,1.5,"a, b"\r\n2,,"say ""hi"""\r\n3,-0.25,"two\nlines"\r\n');
      const source = await openSource({ kind: 'file', path: file });
      assert.deepStrictEqual(source.fields.map((f) => [f.name, f.type.kind]), [['id', 'text'], ['x', 'text'], ['label', 'text']]);
      const { rows } = await readAll(source, [read('x', new arrow.Float64()), read('label', new arrow.Utf8()), read('id', new arrow.Int64())]);
      assert.deepStrictEqual(rows, [[1.5, 'a, b', 1n], [null, 'say "hi"', 2n], [-0.25, 'two\nlines', 3n]]);
    });

    it('streams many rows in chunks and reports how far it got', async () => {
      const file = path.join(dir, 'many.csv');
      const lines = ['n,sq'];
      for (let i = 0; i < 20000; i++) lines.push(`${i},${i * i}`);
      await fs.writeFile(file, lines.join('\n'));
      const { rows, chunks, fractions } = await readAll(await openSource({ kind: 'file', path: file }), [read('sq', new arrow.Float64())]);
      assert.strictEqual(rows.length, 20000);
      assert.deepStrictEqual(rows[19999], [19999 * 19999]);
      assert.ok(chunks >= 3, `${chunks} chunks`);
      assert.strictEqual(fractions[fractions.length - 1], 1);
    });

    it('names the row of a bad value and of a row with the wrong number of fields', async () => {
      const file = path.join(dir, 'bad.csv');
      await fs.writeFile(file, 'x\n1\n2\nthree\n');
      await assert.rejects(readAll(await openSource({ kind: 'file', path: file }), [read('x', new arrow.Float64())]), /row 3, column 'x': 'three' is not a number/);
      const ragged = path.join(dir, 'ragged.csv');
      await fs.writeFile(ragged, 'a,b\n1,2\n3\n');
      await assert.rejects(readAll(await openSource({ kind: 'file', path: ragged }), [read('a', new arrow.Int64())]), /row 2 has 1 fields but the header has 2/);
    });

    it('refuses an empty file, a duplicate header and a missing file', async () => {
      const empty = path.join(dir, 'empty.csv');
      await fs.writeFile(empty, '');
      await assert.rejects(openSource({ kind: 'file', path: empty }), /is empty/);
      const dup = path.join(dir, 'dup.csv');
      await fs.writeFile(dup, 'a,a\n1,2\n');
      await assert.rejects(openSource({ kind: 'file', path: dup }), /names column 'a' twice/);
      await assert.rejects(openSource({ kind: 'file', path: path.join(dir, 'nope.csv') }), (e: Error) => e instanceof InputError && /no such file/.test(e.message));
    });
  });

  describe('JSON lines', () => {
    it('reads objects line by line, typing key columns from the first lines', async () => {
      const file = path.join(dir, 'rows.jsonl');
      await fs.writeFile(file, '{"id": 1, "x": 0.5, "tag": "a", "ok": true}\n\n{"id": 2, "x": null, "tag": {"k": 1}, "ok": false}\n');
      const source = await openSource({ kind: 'file', path: file });
      assert.deepStrictEqual(source.fields.map((f) => [f.name, f.typeName]), [['id', 'JSON number'], ['x', 'JSON number'], ['tag', 'JSON mixed'], ['ok', 'JSON boolean']]);
      const { rows } = await readAll(source, [read('x', new arrow.Float64()), read('id', new arrow.Int64()), read('tag', new arrow.Utf8(), true), read('ok', new arrow.Bool())]);
      assert.deepStrictEqual(rows, [[0.5, 1n, 'a', true], [null, 2n, '{"k":1}', false]]);
    });

    it('names the line that is not a JSON object', async () => {
      const file = path.join(dir, 'bad.jsonl');
      await fs.writeFile(file, '{"x": 1}\n[1, 2]\n');
      await assert.rejects(openSource({ kind: 'file', path: file }), /line 2 is not a JSON object/);
    });
  });

  describe('Parquet', () => {
    it('reads typed columns row group by row group, with nulls, knowing the row count', async () => {
      const file = path.join(dir, 't.parquet');
      const n = 2500;
      const x = Float64Array.from({ length: n }, (_, i) => i / 7);
      const id = BigInt64Array.from({ length: n }, (_, i) => BigInt(i) * 3n);
      const label = Array.from({ length: n }, (_, i) => (i % 5 === 0 ? null : `r${i}`));
      const small = Int32Array.from({ length: n }, (_, i) => (i % 100) - 50);
      writeParquet(file, [
        { name: 'x', data: x, type: 'DOUBLE' },
        { name: 'id', data: id, type: 'INT64' },
        { name: 'label', data: label, type: 'BYTE_ARRAY', converted: 'UTF8', optional: true },
        { name: 'small', data: small, type: 'INT32', converted: 'INT_8' },
      ], 1000);
      const source = await openSource({ kind: 'file', path: file });
      assert.strictEqual(source.totalRows, n);
      assert.deepStrictEqual(source.fields.map((f) => [f.name, f.type.kind === 'typed' ? arrowTypeName(f.type.type) : f.type.kind, f.typeName]), [
        ['x', 'Float64', 'DOUBLE (Parquet)'],
        ['id', 'Int64', 'INT64 (Parquet)'],
        ['label', 'Utf8', 'UTF8 (Parquet)'],
        ['small', 'Int8', 'INT_8 (Parquet)'],
      ]);
      const { rows, chunks, fractions } = await readAll(source, [read('label', new arrow.Utf8()), read('x', new arrow.Float64()), read('small', new arrow.Int8()), read('id', new arrow.Int64())]);
      assert.strictEqual(chunks, 3);
      assert.deepStrictEqual(fractions, [0.4, 0.8, 1]);
      assert.strictEqual(rows.length, n);
      assert.deepStrictEqual(rows[0], [null, 0, -50, 0n]);
      assert.deepStrictEqual(rows[2499], ['r2499', 2499 / 7, 49, 7497n]);
    });

    it('says when a file is not Parquet', async () => {
      const file = path.join(dir, 'not.parquet');
      await fs.writeFile(file, 'hello, this is text');
      await assert.rejects(openSource({ kind: 'file', path: file }), /is not a Parquet file/);
    });
  });

  describe('Arrow IPC', () => {
    it('reads the file and the stream format, keeping columns of the asked type as they are', async () => {
      const table = new arrow.Table({
        x: arrow.makeVector(new Float64Array([1, 2, 3])),
        n: arrow.makeVector(new Int32Array([7, 8, 9])),
        s: arrow.vectorFromArray(['a', 'b', 'a']),
      });
      for (const stream of [false, true]) {
        const file = path.join(dir, stream ? 't.arrows' : 't.arrow');
        writeArrow(file, table, stream);
        const source = await openSource({ kind: 'file', path: file });
        assert.deepStrictEqual(source.fields.map((f) => [f.name, f.type.kind === 'typed' ? arrowTypeName(f.type.type) : f.type.kind]), [['x', 'Float64'], ['n', 'Int32'], ['s', 'Utf8']]);
        const { rows } = await readAll(source, [read('x', new arrow.Float64()), read('n', new arrow.Int64()), read('s', new arrow.Utf8())]);
        assert.deepStrictEqual(rows, [[1, 7n, 'a'], [2, 8n, 'b'], [3, 9n, 'a']]);
      }
    });
  });

  describe('SQL (DuckDB)', () => {
    it('runs a query over a Parquet file, paths relative to the folder, types from DuckDB', async function () {
      let duckdb;
      try {
        duckdb = loadDuckDb([REPO]);
      } catch (err) {
        if (err instanceof DuckDbMissingError) missingPrerequisite(this, `DuckDB is not installed (optional dependency): ${err.message}`);
        throw err;
      }
      const file = path.join(dir, 'q.parquet');
      writeParquet(file, [
        { name: 'x', data: Float64Array.from([1, 2, 3, 4]), type: 'DOUBLE' },
        { name: 'k', data: BigInt64Array.from([10n, 20n, 30n, 40n]), type: 'INT64' },
      ]);
      const source = await openSource({ kind: 'sql', query: "SELECT k, x * 2 AS x2, DATE '2024-01-02' AS d FROM 'q.parquet' WHERE k > 10", cwd: dir, duckdb: () => duckdb, threads: 1 });
      assert.deepStrictEqual(source.fields.map((f) => f.typeName), ['BIGINT (DuckDB)', 'DOUBLE (DuckDB)', 'DATE (DuckDB)']);
      const { rows } = await readAll(source, [read('x2', new arrow.Float64()), read('k', new arrow.Int64()), read('d', new arrow.Utf8(), true)]);
      assert.deepStrictEqual(rows, [[4, 20n, '2024-01-02'], [6, 30n, '2024-01-02'], [8, 40n, '2024-01-02']]);
    });

    it('reports a bad query as an input error', async function () {
      let duckdb: ReturnType<typeof loadDuckDb>;
      try {
        duckdb = loadDuckDb([REPO]);
      } catch (err) {
        missingPrerequisite(this, `DuckDB is not installed (optional dependency): ${String(err)}`);
      }
      await assert.rejects(openSource({ kind: 'sql', query: 'SELEC 1', cwd: dir, duckdb: () => duckdb }), (e: Error) => e instanceof InputError && /the SQL query failed/.test(e.message));
    });

    it('explains how to install DuckDB when it is missing', () => {
      assert.throws(() => loadDuckDb([path.join(dir, 'nowhere')]), (e: Error) => e instanceof DuckDbMissingError && /npm install --prefix ".*nowhere" @duckdb\/node-api@/.test(e.message));
    });
  });
});

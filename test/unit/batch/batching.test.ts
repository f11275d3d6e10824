import * as assert from 'assert';
import * as arrow from 'apache-arrow';
import type { ColumnRead } from '../../../src/tables/fields';
import { batchesOf, type TableSource, type SourceChunk } from '../../../src/tables/source';

const X: ColumnRead[] = [{ name: 'x', type: new arrow.Float64() }, { name: 'k', type: new arrow.Int32() }];

/** A source that yields chunks of the given sizes, numbering rows 0, 1, 2 ... */
function chunked(sizes: readonly number[], log: string[] = []): TableSource {
  return {
    description: 'test',
    fields: [],
    totalRows: sizes.reduce((a, b) => a + b, 0),
    async *chunks(): AsyncGenerator<SourceChunk> {
      let at = 0;
      for (const n of sizes) {
        log.push(`chunk ${n}`);
        yield {
          columns: [arrow.makeVector(Float64Array.from({ length: n }, (_, i) => at + i)), arrow.makeVector(Int32Array.from({ length: n }, (_, i) => -(at + i)))],
          rows: n,
          fraction: (at + n) / 100,
        };
        at += n;
        await Promise.resolve();
      }
    },
    close: () => Promise.resolve(),
  };
}

async function collect(source: TableSource, rowsPerBatch: number): Promise<{ starts: number[]; sizes: number[]; x: number[] }> {
  const starts: number[] = [];
  const sizes: number[] = [];
  const x: number[] = [];
  for await (const b of batchesOf(source, X, rowsPerBatch)) {
    starts.push(b.rowStart);
    sizes.push(b.table.numRows);
    x.push(...(b.table.getChild('x')?.toArray() as Float64Array));
    assert.deepStrictEqual(b.table.schema.fields.map((f) => f.name), ['x', 'k']);
  }
  return { starts, sizes, x };
}

describe('batching', () => {
  it('regroups chunks of any size into batches of exactly the rows per batch, the last one short', async () => {
    const { starts, sizes, x } = await collect(chunked([3, 10, 1, 7, 2]), 4);
    assert.deepStrictEqual(sizes, [4, 4, 4, 4, 4, 3]);
    assert.deepStrictEqual(starts, [0, 4, 8, 12, 16, 20]);
    assert.deepStrictEqual(x, Array.from({ length: 23 }, (_, i) => i));
  });

  it('splits one big chunk into many batches, and joins many small chunks into one', async () => {
    assert.deepStrictEqual((await collect(chunked([10]), 3)).sizes, [3, 3, 3, 1]);
    assert.deepStrictEqual((await collect(chunked([1, 1, 1, 1, 1]), 100)).sizes, [5]);
    assert.deepStrictEqual((await collect(chunked([5, 5]), 5)).sizes, [5, 5]);
  });

  it('gives no batch for an empty input and skips empty chunks', async () => {
    assert.deepStrictEqual((await collect(chunked([]), 3)).sizes, []);
    assert.deepStrictEqual((await collect(chunked([0, 2, 0]), 3)).sizes, [2]);
  });

  it('reads lazily: at most one chunk ahead of the batch it yields', async () => {
    const log: string[] = [];
    const it = batchesOf(chunked([2, 2, 2, 2], log), X, 2);
    await it.next();
    assert.deepStrictEqual(log, ['chunk 2']);
    await it.next();
    assert.deepStrictEqual(log, ['chunk 2', 'chunk 2']);
    await it.return(undefined);
  });

  it('refuses a rows per batch that is not a whole number of at least 1', async () => {
    await assert.rejects(collect(chunked([1]), 0), /at least 1/);
    await assert.rejects(collect(chunked([1]), 1.5), /at least 1/);
  });
});

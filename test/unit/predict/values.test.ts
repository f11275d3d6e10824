import * as assert from 'assert';
import * as arrow from 'apache-arrow';
import { castVector, conformTable, gridToTable, resolveShape, tableToTensors, tensorsFromText } from '../../../src/predict/inputs';
import { v2DatatypeOf, type AnyTable } from '../../../src/protocol/arrowCodec';
import { ColumnBuilder, toHalf } from '../../../src/tables/columnBuilder';
import { InputError } from '../../../src/tables/errors';
import { DATATYPES, type ModelSchema } from '../../../src/shared/panelMessages';
import {
  concreteShape,
  formatCell,
  isHeaderRow,
  parseCell,
  parseDelimited,
  parseNested,
  randomCell,
  randomTensorText,
  rng,
  shapeProblem,
} from '../../../src/shared/panelValues';

const DF: ModelSchema = {
  model: 'm',
  version: '1',
  platform: 'pyml',
  kind: 'dataframe',
  inputs: [
    { name: 'x', datatype: 'FP64', shape: [-1], text: false },
    { name: 'n', datatype: 'INT64', shape: [-1], text: false },
    { name: 's', datatype: 'BYTES', shape: [-1], text: true },
  ],
  outputs: [],
};

const TENSOR: ModelSchema = {
  ...DF,
  kind: 'tensor',
  inputs: [{ name: 'img', datatype: 'FP32', shape: [-1, 2], text: false }],
};

function tableOf(columns: Record<string, arrow.Vector>): AnyTable {
  return new arrow.Table(columns) as AnyTable;
}

function ok(datatype: (typeof DATATYPES)[number], text: string | null): unknown {
  const r = parseCell(datatype, text);
  assert.ok(r.ok, r.ok ? '' : r.error);
  return r.value;
}

function bad(datatype: (typeof DATATYPES)[number], text: string, pattern: RegExp): void {
  const r = parseCell(datatype, text);
  assert.ok(!r.ok, `'${text}' passed as ${datatype}`);
  assert.match(r.error, pattern);
}

describe('panel values (shared by the webview and the extension)', () => {
  describe('cells by datatype', () => {
    it('reads integers with their ranges, 64-bit ones as bigint', () => {
      assert.strictEqual(ok('INT8', '-128'), -128);
      bad('INT8', '128', /out of range for INT8 \(-128 to 127\)/);
      bad('UINT8', '-1', /out of range for UINT8/);
      assert.strictEqual(ok('UINT32', '4294967295'), 4294967295);
      assert.strictEqual(ok('INT64', '9223372036854775807'), 9223372036854775807n);
      bad('INT64', '9223372036854775808', /out of range/);
      assert.strictEqual(ok('UINT64', '18446744073709551615'), 18446744073709551615n);
      assert.strictEqual(ok('INT32', ' 3.0 '), 3, 'a spreadsheet\'s 3.0 is the integer 3');
      assert.strictEqual(ok('INT32', '1_000'), 1000);
      bad('INT32', '3.5', /not a whole number \(INT32\)/);
      bad('INT16', 'abc', /'abc' is not a whole number/);
    });

    it('reads floats, NaN and infinities, checking FP16/FP32 ranges', () => {
      assert.strictEqual(ok('FP64', '1e-300'), 1e-300);
      assert.strictEqual(ok('FP64', '-.5'), -0.5);
      assert.ok(Number.isNaN(ok('FP32', 'nan')));
      assert.strictEqual(ok('FP64', '-inf'), -Infinity);
      assert.strictEqual(ok('FP16', '65504'), 65504);
      bad('FP16', '70000', /out of range for FP16/);
      bad('FP32', '1e39', /out of range for FP32/);
      bad('FP64', '1,5', /not a number/);
      bad('FP64', '0x10', /not a number/);
    });

    it('reads bools in their usual spellings', () => {
      for (const t of ['true', 'TRUE', '1', 'yes', 'y', 't']) assert.strictEqual(ok('BOOL', t), true);
      for (const t of ['false', '0', 'No', 'n', 'f']) assert.strictEqual(ok('BOOL', t), false);
      bad('BOOL', 'maybe', /not a bool/);
    });

    it('treats empty and NA texts as missing except in text columns, where only null is', () => {
      for (const dt of DATATYPES.filter((d) => d !== 'BYTES')) {
        assert.strictEqual(ok(dt, ''), null, dt);
        assert.strictEqual(ok(dt, 'NA'), null, dt);
        assert.strictEqual(ok(dt, null), null, dt);
      }
      assert.strictEqual(ok('BYTES', ''), '');
      assert.strictEqual(ok('BYTES', 'NA'), 'NA');
      assert.strictEqual(ok('BYTES', null), null);
    });

    it('formats values back to editable text', () => {
      assert.deepStrictEqual([NaN, Infinity, -Infinity, 0.1, 12n, true, 'x', null].map(formatCell), ['NaN', 'inf', '-inf', '0.1', '12', 'true', 'x', null]);
    });

    it('makes random cells that pass their own rules, reproducibly', () => {
      const r1 = rng(7);
      const r2 = rng(7);
      for (const dt of DATATYPES) {
        for (let i = 0; i < 50; i++) {
          const a = randomCell(dt, r1);
          assert.strictEqual(a, randomCell(dt, r2));
          assert.ok(parseCell(dt, a).ok, `${dt}: ${a}`);
        }
      }
    });
  });

  describe('nested lists and shapes', () => {
    it('reads nested lists row-major, keeping number texts exact', () => {
      assert.deepStrictEqual(parseNested('[[1, 2, 3], [4, 5, 6]]'), { ok: true, value: { shape: [2, 3], items: ['1', '2', '3', '4', '5', '6'] } });
      assert.deepStrictEqual(parseNested('[9223372036854775807]'), { ok: true, value: { shape: [1], items: ['9223372036854775807'] } });
      assert.deepStrictEqual(parseNested('7'), { ok: true, value: { shape: [], items: ['7'] } });
      assert.deepStrictEqual(parseNested('["a", "b\\"c", null]'), { ok: true, value: { shape: [3], items: ['a', 'b"c', null] } });
      assert.deepStrictEqual(parseNested('[[], []]'), { ok: true, value: { shape: [2, 0], items: [] } });
      assert.deepStrictEqual(parseNested('1 2 3'), { ok: true, value: { shape: [3], items: ['1', '2', '3'] } });
      assert.deepStrictEqual(parseNested('[nan, -inf, 1e3]'), { ok: true, value: { shape: [3], items: ['nan', '-inf', '1e3'] } });
    });

    it('refuses ragged or broken lists, saying where', () => {
      for (const [text, pattern] of [
        ['[[1, 2], [3]]', /not rectangular: 1 elements where 2/],
        ['[1, [2]]', /not rectangular/],
        ['[[1], 2]', /not rectangular/],
        ['[1, 2', /not closed/],
        ['[1 2]', /expected ',' or '\]'/],
        ['[1], 2', /after the value/],
        ['[abc]', /unexpected 'abc\]'/],
      ] as const) {
        const r = parseNested(text);
        assert.ok(!r.ok, text);
        assert.match(r.error, pattern, text);
      }
    });

    it('checks shapes against declared ones (-1 = any) and resolves a -1', () => {
      assert.strictEqual(shapeProblem([-1, 3], [5, 3]), undefined);
      assert.match(shapeProblem([-1, 3], [5, 2]) ?? '', /shape \[5, 2\] does not fit the declared \[-1, 3\]/);
      assert.match(shapeProblem([-1], [2, 2]) ?? '', /does not fit/);
      assert.strictEqual(shapeProblem([], [2, 2]), undefined);
      assert.deepStrictEqual(resolveShape([-1, 4], 8), [2, 4]);
      assert.match(String(resolveShape([-1, 3], 8)), /8 elements do not fill shape \[-1, 3\]/);
      assert.match(String(resolveShape([-1, -1], 8)), /more than one -1/);
      assert.deepStrictEqual(concreteShape([-1, 3, -1], 4), [4, 3, 2]);
    });

    it('makes random tensor text of the declared shape', () => {
      const text = randomTensorText('FP32', [2, 3], rng(1));
      const r = parseNested(text);
      assert.ok(r.ok);
      assert.deepStrictEqual(r.value.shape, [2, 3]);
    });
  });

  describe('pasted tables', () => {
    it('splits TSV from spreadsheets and CSV with quotes', () => {
      assert.deepStrictEqual(parseDelimited('a\tb\n1\t2\n'), [['a', 'b'], ['1', '2']]);
      assert.deepStrictEqual(parseDelimited('x,"y, z","he said ""hi"""\r\n1,2,3'), [['x', 'y, z', 'he said "hi"'], ['1', '2', '3']]);
      assert.deepStrictEqual(parseDelimited('"multi\nline",2'), [['multi\nline', '2']]);
      assert.deepStrictEqual(parseDelimited('a;b\n1;2'), [['a', 'b'], ['1', '2']]);
      assert.ok(isHeaderRow(['x', ' n '], ['x', 'n', 's']));
      assert.ok(!isHeaderRow(['x', '1'], ['x', 'n']));
    });
  });

  describe('columns', () => {
    it('builds every datatype with nulls, straight into typed arrays', () => {
      for (const dt of DATATYPES) {
        const b = ColumnBuilder.of('c', dt, 1);
        const texts = [randomCell(dt, rng(3)), null, randomCell(dt, rng(4))];
        for (const t of texts) assert.strictEqual(b.appendCell(t), undefined);
        const v = b.finish();
        assert.strictEqual(v.length, 3, dt);
        assert.strictEqual(v.nullCount, 1, dt);
        assert.strictEqual(v.get(1), null, dt);
      }
    });

    it('converts to half precision exactly, rounding to nearest even', () => {
      assert.deepStrictEqual([0, 1, -2, 0.5, 65504, 1e6, -1e6, 5.960464477539063e-8, 1e-9].map(toHalf), [0, 0x3c00, 0xc000, 0x3800, 0x7bff, 0x7c00, 0xfc00, 0x0001, 0]);
      assert.strictEqual(toHalf(1 + 2 ** -11), 0x3c00, 'a tie rounds to even');
      assert.strictEqual(toHalf(1 + 3 * 2 ** -11), 0x3c02);
      assert.strictEqual(toHalf(NaN), 0x7e00);
    });

    it('reports a bad text and keeps the row as missing', () => {
      const b = ColumnBuilder.of('n', 'INT32');
      assert.match(b.appendCell('x') ?? '', /not a whole number/);
      assert.strictEqual(b.finish().nullCount, 1);
    });
  });

  describe('inputs against a schema', () => {
    it('turns grid cells into a table in schema order', () => {
      const t = gridToTable(DF, [
        { name: 's', cells: ['a', ''] },
        { name: 'n', cells: ['1', null] },
        { name: 'x', cells: ['0.5', 'nan'] },
      ]);
      assert.deepStrictEqual(t.schema.fields.map((f) => f.name), ['x', 'n', 's']);
      assert.deepStrictEqual(t.toArray().map((r: { n: bigint | null; s: string }) => [r.n, r.s]), [[1n, 'a'], [null, '']]);
    });

    it('names every problem of the grid', () => {
      assert.throws(
        () => gridToTable(DF, [{ name: 'x', cells: ['a'] }, { name: 'q', cells: ['1'] }]),
        (e: unknown) => e instanceof InputError && /column 'q' is not an input/.test(e.message) && /column 'n' \(INT64\) is missing/.test(e.message) && /column 'x', row 1: 'a' is not a number/.test(e.message),
      );
    });

    it('reads tensor text with the declared shape and refuses missing elements', () => {
      const t = tensorsFromText(TENSOR, [{ name: 'img', datatype: 'FP32', shape: [], text: '[[1, 2], [3, 4], [5, 6]]' }])[0];
      assert.ok(t);
      assert.deepStrictEqual(t.shape, [3, 2]);
      assert.deepStrictEqual([...t.values], [1, 2, 3, 4, 5, 6]);
      const [flat] = tensorsFromText(TENSOR, [{ name: 'img', datatype: 'FP32', shape: [-1, 2], text: '1 2 3 4' }]);
      assert.deepStrictEqual(flat?.shape, [2, 2]);
      assert.throws(() => tensorsFromText(TENSOR, [{ name: 'img', datatype: 'FP32', shape: [], text: '[[1, null]]' }]), /missing values; tensors cannot hold them/);
      assert.throws(() => tensorsFromText(TENSOR, []), /tensor 'img' \(FP32 \[-1, 2\]\) is missing/);
    });

    it('conforms a loaded table: finds columns (any case), orders and casts them, drops extras', () => {
      const loaded = tableOf({
        S: arrow.vectorFromArray(['p', 'q'], new arrow.Utf8()),
        x: arrow.vectorFromArray([1n, 2n], new arrow.Int64()),
        n: arrow.vectorFromArray([3, 4], new arrow.Float64()),
        extra: arrow.vectorFromArray([0, 0], new arrow.Int32()),
      });
      const { table, warnings } = conformTable(DF, loaded);
      assert.deepStrictEqual(table.schema.fields.map((f) => [f.name, v2DatatypeOf(f.type)]), [['x', 'FP64'], ['n', 'INT64'], ['s', 'BYTES']]);
      assert.deepStrictEqual([...(table.getChild('n') ?? [])], [3n, 4n]);
      assert.match(warnings.join(), /ignored 1 column .*extra/);
      const fractional = tableOf({ x: arrow.vectorFromArray([1.5]), n: arrow.vectorFromArray([1.5]), s: arrow.vectorFromArray(['a']) });
      assert.throws(() => conformTable(DF, fractional), /column 'n', row 1: 1\.5 is not a whole number, but the model takes INT64/);
      assert.throws(() => conformTable(DF, tableOf({ x: arrow.vectorFromArray([1]) })), /column 'n' \(INT64\) is missing; the file has 'x'/);
    });

    it('casts text to numbers by the cell rules and keeps the same vector when types match', () => {
      const v = arrow.vectorFromArray(['1', 'NA', '3'], new arrow.Utf8());
      assert.deepStrictEqual([...castVector('c', v, 'INT16')], [1, null, 3]);
      const same = arrow.makeVector(new Float64Array([1]));
      assert.strictEqual(castVector('c', same, 'FP64'), same);
    });

    it('stacks a table into the one [rows, columns] tensor of a tensor model', () => {
      const loaded = tableOf({ a: arrow.vectorFromArray([1, 3]), b: arrow.vectorFromArray([2, 4]) });
      const t = tableToTensors(TENSOR, loaded)[0];
      assert.ok(t);
      assert.deepStrictEqual(t.shape, [2, 2]);
      assert.deepStrictEqual([...t.values], [1, 2, 3, 4]);
      assert.strictEqual(t.datatype, 'FP32');
    });
  });
});

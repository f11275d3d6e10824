import * as assert from 'assert';
import * as arrow from 'apache-arrow';
import { castVector, columnFromText, columnFromValues } from '../../../src/tables/columnBuilder';
import { parseFloatText } from '../../../src/tables/values';
import { InputError } from '../../../src/tables/errors';
import { float32Text, float64Text, quote } from '../../../src/batch/writers/csvWriter';

const at = { column: 'c', rowStart: 100 };

describe('column builder: values of every reader to Arrow columns', () => {
  it('reads CSV text as floats: decimal, scientific, NaN, inf; empty is missing', () => {
    const v = columnFromText(['1.5', ' -2e3 ', 'NaN', 'inf', '-Infinity', '', '0.1'], new arrow.Float64(), at);
    const values = [...v] as (number | null)[];
    assert.deepStrictEqual(values.slice(0, 2), [1.5, -2000]);
    assert.ok(Number.isNaN(values[2]));
    assert.deepStrictEqual(values.slice(3), [Infinity, -Infinity, null, 0.1]);
    assert.strictEqual(v.nullCount, 1);
  });

  it('reads integers exactly, 64-bit too, and refuses out-of-range and fractional values naming row and column', () => {
    const big = columnFromText(['9007199254740993', '-9223372036854775808'], new arrow.Int64(), at);
    assert.deepStrictEqual([...big], [9007199254740993n, -9223372036854775808n]);
    assert.throws(() => columnFromText(['1', '2', '128'], new arrow.Int8(), at), (e: Error) => e instanceof InputError && /row 103, column 'c': 128 is out of range for INT8 \(-128 to 127\)/.test(e.message));
    assert.throws(() => columnFromText(['1.5'], new arrow.Int32(), at), /row 101, column 'c': '1.5' is not a whole number/);
    assert.throws(() => columnFromText(['abc'], new arrow.Float64(), at), /'abc' is not a number/);
  });

  it('reads bools and text; an empty text field is an empty string', () => {
    assert.deepStrictEqual([...columnFromText(['true', 'FALSE', '1', '0', ''], new arrow.Bool(), at)], [true, false, true, false, null]);
    assert.throws(() => columnFromText(['yes'], new arrow.Bool(), at), /'yes' is not true, false, 1 or 0/);
    assert.deepStrictEqual([...columnFromText(['héllo', '', 'a,b'], new arrow.Utf8(), at)], ['héllo', '', 'a,b']);
  });

  it('takes a typed array of the right element type without copying it', () => {
    const xs = new Float64Array([1, 2, 3]);
    const v = columnFromValues(xs, new arrow.Float64(), at);
    assert.strictEqual((v.data[0]?.values as Float64Array).buffer, xs.buffer);
  });

  it('converts plain values, widening numbers and keeping nulls', () => {
    const v = columnFromValues([1, null, 3], new arrow.Float64(), at);
    assert.deepStrictEqual([...v], [1, null, 3]);
    assert.deepStrictEqual([...columnFromValues(new Int32Array([1, -2]), new arrow.Int64(), at)], [1n, -2n]);
    assert.throws(() => columnFromValues(['x'], new arrow.Float64(), at), /row 101, column 'c': 'x' is not a number/);
    assert.throws(() => columnFromValues([1.5], new arrow.Int64(), at), /1.5 is not a whole number/);
  });

  it('turns values of types V2 cannot carry into text for key columns', () => {
    const v = columnFromValues([new Date(Date.UTC(2024, 0, 2)), { toString: () => '12.50' }, null], new arrow.Utf8(), at, true);
    assert.deepStrictEqual([...v], ['2024-01-02T00:00:00.000Z', '12.50', null]);
  });

  it('casts Arrow vectors only when the type differs', () => {
    const ints = arrow.makeVector(new Int32Array([1, 2]));
    assert.strictEqual(castVector(ints, new arrow.Int32(), at), ints);
    assert.deepStrictEqual([...castVector(ints, new arrow.Float64(), at)], [1, 2]);
  });

  it('parses float text strictly', () => {
    assert.strictEqual(parseFloatText('1e-3'), 0.001);
    assert.strictEqual(parseFloatText('.5'), 0.5);
    assert.strictEqual(parseFloatText('1.2.3'), undefined);
    assert.strictEqual(parseFloatText('0x10'), undefined);
  });

  it('writes floats as the shortest text that reads back to the same value', () => {
    for (const x of [0.1, 1 / 3, Math.PI, 1e-310, 5e-324, Number.MAX_VALUE, -1.5e300, 123456789012345680]) {
      assert.strictEqual(Number(float64Text(x)), x);
    }
    assert.strictEqual(float64Text(-0), '-0');
    assert.ok(Object.is(Number(float64Text(-0)), -0));
    assert.strictEqual(float64Text(NaN), 'NaN');
    const f = Math.fround(0.1);
    assert.strictEqual(float32Text(f), '0.1');
    assert.strictEqual(Math.fround(Number(float32Text(Math.fround(1 / 3)))), Math.fround(1 / 3));
    assert.strictEqual(quote('a"b'), '"a""b"');
    assert.strictEqual(quote(' x'), '" x"');
    assert.strictEqual(quote('plain'), 'plain');
  });
});

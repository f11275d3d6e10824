import * as assert from 'assert';
import * as arrow from 'apache-arrow';
import {
  CodecError,
  decodeOutputs,
  decodeTensor,
  encodeTable,
  encodeTensors,
  encodeVector,
  tensorsToTable,
  v2DatatypeOf,
  type AnyTable,
  type DecodedTensor,
  type TensorHeader,
} from '../../../src/protocol/arrowCodec';
import type { V2Datatype } from '../../../src/model/dtypes';

/** Expected wire bytes of each fixed-width datatype, written value by value with Buffer's LE writers. */
interface FixedCase {
  readonly datatype: V2Datatype;
  readonly type: arrow.DataType;
  readonly values: readonly (number | bigint | boolean)[];
  readonly write: (buf: Buffer, v: number | bigint | boolean, at: number) => void;
  readonly size: number;
}

const FIXED: readonly FixedCase[] = [
  { datatype: 'BOOL', type: new arrow.Bool(), size: 1, values: [true, false, true, true, false, false, false, true, true], write: (b, v, at) => b.writeUInt8(v ? 1 : 0, at) },
  { datatype: 'INT8', type: new arrow.Int8(), size: 1, values: [-128, -1, 0, 1, 127], write: (b, v, at) => b.writeInt8(Number(v), at) },
  { datatype: 'INT16', type: new arrow.Int16(), size: 2, values: [-32768, -1, 0, 1, 32767], write: (b, v, at) => b.writeInt16LE(Number(v), at) },
  { datatype: 'INT32', type: new arrow.Int32(), size: 4, values: [-2147483648, -1, 0, 7, 2147483647], write: (b, v, at) => b.writeInt32LE(Number(v), at) },
  { datatype: 'INT64', type: new arrow.Int64(), size: 8, values: [-(2n ** 63n), -1n, 0n, 2n ** 53n + 1n, 2n ** 63n - 1n], write: (b, v, at) => b.writeBigInt64LE(BigInt(v), at) },
  { datatype: 'UINT8', type: new arrow.Uint8(), size: 1, values: [0, 1, 128, 255], write: (b, v, at) => b.writeUInt8(Number(v), at) },
  { datatype: 'UINT16', type: new arrow.Uint16(), size: 2, values: [0, 1, 40000, 65535], write: (b, v, at) => b.writeUInt16LE(Number(v), at) },
  { datatype: 'UINT32', type: new arrow.Uint32(), size: 4, values: [0, 1, 3000000000, 4294967295], write: (b, v, at) => b.writeUInt32LE(Number(v), at) },
  { datatype: 'UINT64', type: new arrow.Uint64(), size: 8, values: [0n, 1n, 2n ** 63n, 2n ** 64n - 1n], write: (b, v, at) => b.writeBigUInt64LE(BigInt(v), at) },
  { datatype: 'FP16', type: new arrow.Float16(), size: 2, values: [0, 1, -2, 0.5, 65504, Infinity], write: (b, v, at) => b.writeUInt16LE(fp16Bits(Number(v)), at) },
  { datatype: 'FP32', type: new arrow.Float32(), size: 4, values: [0, 1.5, -2.25, 3.4028234663852886e38, -Infinity], write: (b, v, at) => b.writeFloatLE(Number(v), at) },
  { datatype: 'FP64', type: new arrow.Float64(), size: 8, values: [0, Math.PI, -1e308, Number.MIN_VALUE, Number.MAX_VALUE], write: (b, v, at) => b.writeDoubleLE(Number(v), at) },
];

/** IEEE half-precision bits of the exactly representable test values above. */
function fp16Bits(v: number): number {
  const known: Record<string, number> = { '0': 0x0000, '1': 0x3c00, '-2': 0xc000, '0.5': 0x3800, '65504': 0x7bff, Infinity: 0x7c00 };
  const bits = known[String(v)];
  if (bits === undefined) throw new Error(`no fp16 bits for ${v}`);
  return bits;
}

function expectedBytes(c: FixedCase, values: readonly (number | bigint | boolean)[] = c.values): Buffer {
  const buf = Buffer.alloc(values.length * c.size);
  values.forEach((v, i) => {
    c.write(buf, v, i * c.size);
  });
  return buf;
}

function vectorOf(c: FixedCase, values: readonly unknown[] = c.values): arrow.Vector {
  return arrow.vectorFromArray(values as unknown[], c.type);
}

function tableOf(columns: Record<string, arrow.Vector>): AnyTable {
  return new arrow.Table(columns) as AnyTable;
}

function header(name: string, datatype: V2Datatype, shape: readonly number[]): TensorHeader {
  return { name, datatype, shape };
}

function valuesOf(t: DecodedTensor): unknown[] {
  return [...t.values] as unknown[];
}

/** V2 BYTES raw contents of strings, built by hand. */
function bytesRaw(items: readonly (string | Uint8Array)[]): Buffer {
  return Buffer.concat(
    items.flatMap((s) => {
      const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : Buffer.from(s);
      const len = Buffer.alloc(4);
      len.writeUInt32LE(b.byteLength);
      return [len, b];
    }),
  );
}

function throwsCodec(fn: () => unknown, tensor: string, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof CodecError, `expected a CodecError, got ${String(err)}`);
    assert.strictEqual(err.tensor, tensor);
    assert.match(err.message, pattern);
    return true;
  });
}

describe('arrowCodec', () => {
  describe('every fixed-width datatype', () => {
    for (const c of FIXED) {
      describe(c.datatype, () => {
        it('maps its Arrow type to the V2 datatype', () => {
          assert.strictEqual(v2DatatypeOf(c.type), c.datatype);
        });

        it('encodes to little-endian raw contents, value by value as Buffer writes them', () => {
          const enc = encodeTable(tableOf({ col: vectorOf(c) }));
          assert.deepStrictEqual(enc.tensors, [{ name: 'col', datatype: c.datatype, shape: [c.values.length] }]);
          assert.deepStrictEqual(enc.raw[0], expectedBytes(c));
          assert.strictEqual(enc.byteLength, c.values.length * c.size);
          assert.deepStrictEqual(enc.parameters, { content_type: 'pd' });
        });

        it('decodes the raw bytes back to the same values and Arrow type', () => {
          const t = decodeTensor(header('col', c.datatype, [c.values.length]), expectedBytes(c));
          assert.strictEqual(t.values.type.typeId, c.type.typeId);
          assert.strictEqual(v2DatatypeOf(t.values.type), c.datatype);
          assert.deepStrictEqual(valuesOf(t), [...vectorOf(c)]);
        });

        it('decodes from a misaligned buffer (copies once) and an aligned one (a view)', () => {
          const bytes = expectedBytes(c);
          const padded = new Uint8Array(bytes.byteLength + 1);
          padded.set(bytes, 1);
          const misaligned = padded.subarray(1);
          const t = decodeTensor(header('col', c.datatype, [c.values.length]), misaligned);
          assert.deepStrictEqual(valuesOf(t), [...vectorOf(c)]);
          if (c.datatype !== 'BOOL') {
            const aligned = new Uint8Array(new ArrayBuffer(bytes.byteLength + 16), 8, bytes.byteLength);
            aligned.set(bytes);
            const v = decodeTensor(header('col', c.datatype, [c.values.length]), aligned);
            assert.strictEqual((v.values.data[0]?.values as Uint8Array).buffer, aligned.buffer, 'aligned bytes are not copied');
          }
        });

        it('encodes a slice and several chunks', () => {
          const all = vectorOf(c);
          const table = tableOf({ col: all });
          const sliced = encodeTable(table.slice(1, c.values.length - 1));
          assert.deepStrictEqual(sliced.raw[0], expectedBytes(c, c.values.slice(1, c.values.length - 1)));
          const chunked = tableOf({ col: all }).concat(tableOf({ col: all.slice(2) }));
          assert.ok(chunked.getChild('col')?.data.length === 2, 'the table should hold two chunks');
          const enc = encodeTable(chunked);
          assert.deepStrictEqual(enc.raw[0], expectedBytes(c, [...c.values, ...c.values.slice(2)]));
          assert.deepStrictEqual(enc.tensors[0]?.shape, [c.values.length * 2 - 2]);
        });

        it('round-trips through typed contents too', () => {
          if (c.datatype === 'FP16') return; // FP16 has no typed contents field (tested below)
          const t = decodeTensor(header('col', c.datatype, [c.values.length]), undefined, typedContentsOf(c));
          assert.deepStrictEqual(valuesOf(t), [...vectorOf(c)]);
        });
      });
    }
  });

  describe('zero copy', () => {
    it('sends a one-chunk fixed-width column without nulls as a view of its Arrow data buffer', () => {
      const values = new Float64Array([1, 2, 3, 4]);
      const table = tableOf({ x: arrow.makeVector(values) });
      const enc = encodeTable(table);
      const raw = enc.raw[0];
      assert.ok(raw);
      assert.strictEqual(raw.buffer, values.buffer, 'raw contents share the column buffer');
      assert.strictEqual(raw.byteOffset, values.byteOffset);
      assert.strictEqual(raw.byteLength, 32);
    });

    it('views a slice of the column at the right offset without copying', () => {
      const values = new Int32Array([10, 20, 30, 40, 50]);
      const enc = encodeTable(tableOf({ x: arrow.makeVector(values) }).slice(2, 4));
      const raw = enc.raw[0];
      assert.ok(raw);
      assert.strictEqual(raw.buffer, values.buffer);
      assert.strictEqual(raw.byteOffset, 8);
      assert.deepStrictEqual([...new Int32Array(raw.buffer, raw.byteOffset, 2)], [30, 40]);
    });

    it('decodes aligned FP64 raw contents into a vector over the same memory', () => {
      const raw = Buffer.from(new Float64Array([1.5, -2.5]).buffer);
      const t = decodeTensor(header('y', 'FP64', [2]), raw);
      assert.strictEqual((t.values.data[0]?.values as Float64Array).buffer, raw.buffer);
    });
  });

  describe('strings and binary', () => {
    const words = ['', 'a', 'héllo', '日本語', '🙂 emoji', 'tab\tnew\nline', 'x'.repeat(1000)];

    it('encodes Utf8 as 4-byte little-endian length-prefixed UTF-8', () => {
      const enc = encodeTable(tableOf({ s: arrow.vectorFromArray(words, new arrow.Utf8()) }));
      assert.deepStrictEqual(enc.tensors[0], { name: 's', datatype: 'BYTES', shape: [words.length] });
      assert.deepStrictEqual(enc.raw[0], bytesRaw(words));
    });

    it('encodes LargeUtf8 and Binary the same way', () => {
      const large = encodeTable(tableOf({ s: arrow.vectorFromArray(words, new arrow.LargeUtf8()) }));
      assert.deepStrictEqual(large.raw[0], bytesRaw(words));
      const blobs = [new Uint8Array([0, 255, 1]), new Uint8Array([]), new Uint8Array([0xc3])];
      const bin = encodeTable(tableOf({ b: arrow.vectorFromArray(blobs, new arrow.Binary()) }));
      assert.deepStrictEqual(bin.raw[0], bytesRaw(blobs));
    });

    it('encodes sliced and chunked string columns', () => {
      const v = arrow.vectorFromArray(words, new arrow.Utf8());
      assert.deepStrictEqual(encodeTable(tableOf({ s: v }).slice(2, 5)).raw[0], bytesRaw(words.slice(2, 5)));
      const chunked = tableOf({ s: v }).concat(tableOf({ s: v.slice(0, 2) }));
      assert.deepStrictEqual(encodeTable(chunked).raw[0], bytesRaw([...words, ...words.slice(0, 2)]));
    });

    it('encodes a dictionary-encoded string column (Parquet, Arrow files) as plain BYTES', () => {
      const dict = arrow.vectorFromArray(['a', 'b', 'a', 'c'], new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32()));
      assert.strictEqual(v2DatatypeOf(dict.type), 'BYTES');
      assert.deepStrictEqual(encodeTable(tableOf({ d: dict })).raw[0], bytesRaw(['a', 'b', 'a', 'c']));
    });

    it('decodes UTF-8 BYTES to a Utf8 column', () => {
      const t = decodeTensor(header('s', 'BYTES', [words.length]), bytesRaw(words));
      assert.ok(t.values.type instanceof arrow.Utf8);
      assert.deepStrictEqual(valuesOf(t), words);
    });

    it('decodes BYTES that are not UTF-8 to a Binary column', () => {
      const blobs = [new Uint8Array([0xff, 0xfe]), new Uint8Array([0x41])];
      const t = decodeTensor(header('b', 'BYTES', [2]), bytesRaw(blobs));
      assert.ok(t.values.type instanceof arrow.Binary);
      assert.deepStrictEqual(valuesOf(t).map((x) => [...(x as Uint8Array)]), [[0xff, 0xfe], [0x41]]);
    });

    it('does not take a multi-byte character split across two elements for text', () => {
      const euro = Buffer.from('€', 'utf8'); // e2 82 ac
      const t = decodeTensor(header('b', 'BYTES', [2]), bytesRaw([euro.subarray(0, 1), euro.subarray(1)]));
      assert.ok(t.values.type instanceof arrow.Binary, 'each element must be UTF-8 on its own');
    });

    it('obeys an explicit text option', () => {
      const t = decodeTensor(header('s', 'BYTES', [1]), bytesRaw(['abc']), undefined, { text: false });
      assert.ok(t.values.type instanceof arrow.Binary);
    });

    it('decodes typed bytes_contents', () => {
      const t = decodeTensor(header('s', 'BYTES', [3]), undefined, {
        bytes_contents: ['x', '', 'ünï'].map((s) => Buffer.from(s)),
      });
      assert.deepStrictEqual(valuesOf(t), ['x', '', 'ünï']);
    });
  });

  describe('missing values', () => {
    it('sends a null in FP64, FP32 and FP16 columns as NaN', () => {
      for (const [type, read] of [
        [new arrow.Float64(), (b: Buffer, i: number) => b.readDoubleLE(i * 8)],
        [new arrow.Float32(), (b: Buffer, i: number) => b.readFloatLE(i * 4)],
        [new arrow.Float16(), (b: Buffer, i: number) => (b.readUInt16LE(i * 2) === 0x7e00 ? NaN : b.readUInt16LE(i * 2))],
      ] as const) {
        const enc = encodeTable(tableOf({ f: arrow.vectorFromArray([1, null, 2, null], type) }));
        const raw = enc.raw[0];
        assert.ok(raw);
        assert.ok(Number.isNaN(read(raw, 1)) && Number.isNaN(read(raw, 3)), `${String(type.typeId)}: nulls are NaN`);
        assert.ok(!Number.isNaN(read(raw, 0)) && !Number.isNaN(read(raw, 2)));
      }
    });

    it('keeps the values around nulls of a float column exact, across chunks', () => {
      const a = arrow.vectorFromArray([0.1, null], new arrow.Float64());
      const b = arrow.vectorFromArray([null, 0.3], new arrow.Float64());
      const raw = encodeTable(tableOf({ f: a }).concat(tableOf({ f: b }))).raw[0];
      assert.ok(raw);
      const got = [...new Float64Array(raw.buffer, raw.byteOffset, 4)];
      assert.strictEqual(got[0], 0.1);
      assert.ok(Number.isNaN(got[1]) && Number.isNaN(got[2]));
      assert.strictEqual(got[3], 0.3);
    });

    it('decodes NaN as the value NaN, not as null', () => {
      const t = decodeTensor(header('f', 'FP64', [1]), Buffer.from(new Float64Array([NaN]).buffer));
      assert.strictEqual(t.values.nullCount, 0);
      assert.ok(Number.isNaN(t.values.get(0) as number));
    });

    it('sends a validity companion for nulls in int, bool and string columns (runtime/README.md)', () => {
      const table = tableOf({
        age: arrow.vectorFromArray([1, 2, null, null], new arrow.Int32()),
        ok: arrow.vectorFromArray([null, true, false, true], new arrow.Bool()),
        s: arrow.vectorFromArray(['a', null, 'ccc', ''], new arrow.Utf8()),
        f: arrow.vectorFromArray([1, null, 3, 4], new arrow.Float64()),
      });
      const enc = encodeTable(table);
      assert.deepStrictEqual(
        enc.tensors.map((t) => [t.name, t.datatype, t.parameters]),
        [
          ['age', 'INT32', undefined],
          ['age:valid', 'BOOL', { validity_of: 'age' }],
          ['ok', 'BOOL', undefined],
          ['ok:valid', 'BOOL', { validity_of: 'ok' }],
          ['s', 'BYTES', undefined],
          ['s:valid', 'BOOL', { validity_of: 's' }],
          ['f', 'FP64', undefined],
        ],
      );
      const [age, ageValid, ok, okValid, s, sValid] = enc.raw;
      assert.deepStrictEqual([...new Int32Array(new Uint8Array(age ?? []).buffer)], [1, 2, 0, 0]);
      assert.deepStrictEqual(ageValid, Buffer.from([1, 1, 0, 0]));
      assert.deepStrictEqual(ok, Buffer.from([0, 1, 0, 1]));
      assert.deepStrictEqual(okValid, Buffer.from([0, 1, 1, 1]));
      assert.deepStrictEqual(s, bytesRaw(['a', '', 'ccc', '']));
      assert.deepStrictEqual(sValid, Buffer.from([1, 0, 1, 1]));
      assert.strictEqual(enc.byteLength, enc.raw.reduce((n, r) => n + r.byteLength, 0));
    });

    it('sends the validity of a chunked column row by row across its chunks', () => {
      const chunked = tableOf({ n: arrow.vectorFromArray([1n, 2n], new arrow.Int64()) }).concat(
        tableOf({ n: arrow.vectorFromArray([3n, null], new arrow.Int64()) }),
      );
      const enc = encodeTable(chunked);
      assert.deepStrictEqual(enc.raw[1], Buffer.from([1, 1, 1, 0]));
      assert.deepStrictEqual([...new BigInt64Array(new Uint8Array(enc.raw[0] ?? []).buffer)], [1n, 2n, 3n, 0n]);
    });

    it('refuses nulls in a tensor, naming it, the first null and the count', () => {
      throwsCodec(
        () => encodeTensors([{ name: 'x', shape: [3], values: arrow.vectorFromArray([1, null, null], new arrow.Float32()) }]),
        'x',
        /2 missing values \(first at row 1\).*FP32 tensor cannot hold missing values/,
      );
    });

    it('folds validity companions of an answer back into Arrow nulls', () => {
      const out = decodeOutputs([
        { header: { name: 'n', datatype: 'INT64', shape: [3] }, raw: Buffer.from(new BigInt64Array([5n, 0n, 7n]).buffer) },
        { header: { name: 'n:valid', datatype: 'BOOL', shape: [3], parameters: { validity_of: 'n' } }, raw: Buffer.from([1, 0, 1]) },
        { header: { name: 's', datatype: 'BYTES', shape: [3], parameters: { content_type: 'str' } }, raw: bytesRaw(['x', '', 'z']) },
        { header: { name: 's:valid', datatype: 'BOOL', shape: [3], parameters: { validity_of: 's' } }, raw: Buffer.from([0, 1, 1]) },
      ]);
      assert.deepStrictEqual(out.map((t) => t.name), ['n', 's']);
      assert.deepStrictEqual(out.map((t) => [...t.values] as unknown[]), [[5n, null, 7n], [null, '', 'z']]);
      const table = tensorsToTable(out);
      assert.strictEqual(table.schema.fields[0]?.nullable, true);
      assert.strictEqual(table.getChild('n')?.nullCount, 1);
    });

    it('decodes content_type "str" as text and "bytes" as binary, and refuses a stray companion', () => {
      const [t] = decodeOutputs([{ header: { name: 'b', datatype: 'BYTES', shape: [1], parameters: { content_type: 'bytes' } }, raw: bytesRaw(['abc']) }]);
      assert.ok(t?.values.type instanceof arrow.Binary);
      throwsCodec(
        () => decodeOutputs([{ header: { name: 'q:valid', datatype: 'BOOL', shape: [1], parameters: { validity_of: 'q' } }, raw: Buffer.from([1]) }]),
        'q:valid',
        /not an output/,
      );
      throwsCodec(
        () =>
          decodeOutputs([
            { header: { name: 'q', datatype: 'FP64', shape: [1] }, raw: new Uint8Array(8) },
            { header: { name: 'q:valid', datatype: 'BOOL', shape: [2], parameters: { validity_of: 'q' } }, raw: Buffer.from([1, 1]) },
          ]),
        'q:valid',
        /has 2 rows but 'q' has 1/,
      );
    });

    it('decodes typed contents with a companion (answers to typed requests)', () => {
      const out = decodeOutputs([
        { header: { name: 'k', datatype: 'INT32', shape: [2] }, raw: new Uint8Array(0), contents: { int_contents: [4, 0] } },
        { header: { name: 'k:valid', datatype: 'BOOL', shape: [2], parameters: { validity_of: 'k' } }, contents: { bool_contents: [true, false] } },
      ]);
      assert.deepStrictEqual([...(out[0]?.values ?? [])] as unknown[], [4, null]);
    });
  });

  describe('empty tables', () => {
    it('encodes zero rows as shape [0] and empty raw contents for every datatype', () => {
      const columns: Record<string, arrow.Vector> = {};
      for (const c of FIXED) columns[c.datatype] = vectorOf(c, []);
      columns['S'] = arrow.vectorFromArray([], new arrow.Utf8());
      const enc = encodeTable(tableOf(columns));
      assert.strictEqual(enc.tensors.length, FIXED.length + 1);
      for (const t of enc.tensors) assert.deepStrictEqual(t.shape, [0]);
      for (const r of enc.raw) assert.strictEqual(r.byteLength, 0);
      assert.strictEqual(enc.byteLength, 0);
    });

    it('encodes a table without columns as no tensors', () => {
      const enc = encodeTable(tableOf({}));
      assert.deepStrictEqual(enc.tensors, []);
    });

    it('decodes empty raw contents of every datatype', () => {
      for (const c of [...FIXED.map((f) => f.datatype), 'BYTES' as const]) {
        const t = decodeTensor(header('e', c, [0]), new Uint8Array(0));
        assert.strictEqual(t.values.length, 0, c);
      }
      assert.strictEqual(tensorsToTable([decodeTensor(header('e', 'FP64', [0]), new Uint8Array(0))]).numRows, 0);
    });
  });

  describe('refusals', () => {
    it('names a column whose Arrow type has no V2 datatype', () => {
      const dates = arrow.vectorFromArray([new Date(0)], new arrow.DateMillisecond());
      throwsCodec(() => encodeTable(tableOf({ when: dates })), 'when', /DateMillisecond|Date.*no V2 datatype/);
    });

    it('rejects raw contents of the wrong length', () => {
      throwsCodec(() => decodeTensor(header('y', 'FP64', [3]), new Uint8Array(16)), 'y', /16 bytes; 3 FP64 elements need 24/);
      throwsCodec(() => decodeTensor(header('y', 'INT32', [2, 2]), new Uint8Array(20)), 'y', /need 16/);
    });

    it('rejects malformed BYTES: truncated prefix, overlong element, trailing bytes', () => {
      throwsCodec(() => decodeTensor(header('s', 'BYTES', [2]), bytesRaw(['ab'])), 's', /end after 1 of 2/);
      const overlong = Buffer.from([9, 0, 0, 0, 0x61]);
      throwsCodec(() => decodeTensor(header('s', 'BYTES', [1]), overlong), 's', /claims 9 bytes but only 1 remain/);
      throwsCodec(() => decodeTensor(header('s', 'BYTES', [1]), Buffer.concat([bytesRaw(['a']), Buffer.from([1])])), 's', /1 bytes after the last/);
    });

    it('rejects negative or fractional shapes and typed contents of the wrong count', () => {
      throwsCodec(() => decodeTensor(header('t', 'FP64', [-1]), new Uint8Array(0)), 't', /not a whole number/);
      throwsCodec(() => decodeTensor(header('t', 'FP64', [2]), undefined, { fp64_contents: [1] }), 't', /fp64_contents holds 1 values; the shape needs 2/);
      throwsCodec(() => decodeTensor(header('t', 'FP16', [1]), undefined, {}), 't', /FP16 has no typed contents/);
    });

    it('accepts shapes and int64 values as protobuf loaders give them (string, bigint, Long)', () => {
      const h = { name: 'n', datatype: 'INT64' as const, shape: ['2' as unknown as number] };
      const t = decodeTensor(h, undefined, { int64_contents: ['-5', { low: -1, high: -1 }] });
      assert.deepStrictEqual(t.shape, [2]);
      assert.deepStrictEqual(valuesOf(t), [-5n, -1n]);
      const u = decodeTensor(header('u', 'UINT64', [1]), undefined, { uint64_contents: [{ low: -1, high: -1, unsigned: true }] });
      assert.deepStrictEqual(valuesOf(u), [2n ** 64n - 1n]);
    });
  });

  describe('tensors', () => {
    it('encodes named tensors with their shapes, row-major', () => {
      const enc = encodeTensors([
        { name: 'image', shape: [2, 3], values: arrow.makeVector(new Float32Array([1, 2, 3, 4, 5, 6])) },
        { name: 'k', shape: [], values: arrow.makeVector(new BigInt64Array([7n])) },
      ]);
      assert.deepStrictEqual(enc.tensors, [
        { name: 'image', datatype: 'FP32', shape: [2, 3] },
        { name: 'k', datatype: 'INT64', shape: [] },
      ]);
      assert.deepStrictEqual(enc.parameters, {});
      assert.deepStrictEqual([...new Float32Array(new Uint8Array(enc.raw[0] ?? []).buffer)], [1, 2, 3, 4, 5, 6]);
    });

    it('refuses a shape that does not hold the values, and a datatype that does not match', () => {
      throwsCodec(() => encodeTensors([{ name: 'x', shape: [2, 2], values: arrow.makeVector(new Float64Array(3)) }]), 'x', /shape \[2, 2\] holds 4 elements but 3 were given/);
      throwsCodec(() => encodeTensors([{ name: 'x', shape: [1], datatype: 'FP32', values: arrow.makeVector(new Float64Array(1)) }]), 'x', /holds FP64 values but is declared FP32/);
    });

    it('puts tensors with the same rows side by side: [n] and [n,1] as columns, [n,k...] as fixed-size lists', () => {
      const table = tensorsToTable([
        decodeTensor(header('a', 'FP64', [2]), Buffer.from(new Float64Array([1, 2]).buffer)),
        decodeTensor(header('b', 'INT32', [2, 1]), Buffer.from(new Int32Array([3, 4]).buffer)),
        decodeTensor(header('c', 'FP32', [2, 2, 2]), Buffer.from(new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]).buffer)),
        decodeTensor(header('d', 'BYTES', [2]), bytesRaw(['p', 'q'])),
      ]);
      assert.strictEqual(table.numRows, 2);
      assert.deepStrictEqual(table.schema.fields.map((f) => f.name), ['a', 'b', 'c', 'd']);
      assert.deepStrictEqual([...(table.getChild('b') ?? [])], [3, 4]);
      const c = table.getChild('c');
      assert.ok(c?.type instanceof arrow.FixedSizeList);
      assert.deepStrictEqual([...(c.get(1) as arrow.Vector)], [5, 6, 7, 8]);
      assert.strictEqual(table.schema.fields[2]?.metadata.get('pyml.shape'), '[2,2,2]');
      assert.deepStrictEqual(table.toArray().map((r: { d: string }) => r.d), ['p', 'q']);
    });

    it('refuses to put tensors with different rows in one table', () => {
      throwsCodec(
        () =>
          tensorsToTable([
            decodeTensor(header('a', 'FP64', [2]), new Uint8Array(16)),
            decodeTensor(header('b', 'FP64', [3]), new Uint8Array(24)),
          ]),
        'b',
        /has 3 rows/,
      );
    });

    it('encodes a bare vector the same way as a column', () => {
      const v = arrow.vectorFromArray([true, false], new arrow.Bool());
      assert.deepStrictEqual(encodeVector('v', 'BOOL', v), Buffer.from([1, 0]));
    });
  });
});

function typedContentsOf(c: FixedCase): Record<string, unknown[]> {
  const v = [...c.values];
  switch (c.datatype) {
    case 'BOOL': return { bool_contents: v };
    case 'INT8': case 'INT16': case 'INT32': return { int_contents: v };
    case 'UINT8': case 'UINT16': case 'UINT32': return { uint_contents: v };
    case 'INT64': return { int64_contents: v.map((x) => String(x)) };
    case 'UINT64': return { uint64_contents: v.map((x) => BigInt(x)) };
    case 'FP32': return { fp32_contents: v };
    case 'FP64': return { fp64_contents: v };
    case 'FP16': return {}; // FP16 has no typed field: round-trip the raw form instead
    case 'BYTES': return {};
  }
}

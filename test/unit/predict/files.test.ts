import * as assert from 'assert';
import * as arrow from 'apache-arrow';
import { spawnSync } from 'child_process';
import { zipSync } from 'fflate';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadInputFile, readNpy, type LoadedFile } from '../../../src/predict/files';
import { v2DatatypeOf, type AnyTable } from '../../../src/protocol/arrowCodec';
import type { ModelSchema } from '../../../src/shared/panelMessages';
import { InputError } from '../../../src/tables/errors';
import { requirePrerequisite } from '../../prerequisite';

let dir = '';

function write(name: string, content: string | Uint8Array): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
}

function table(loaded: LoadedFile): AnyTable {
  assert.strictEqual(loaded.kind, 'table');
  return loaded.table;
}

function columns(t: AnyTable): Record<string, [string | undefined, unknown[]]> {
  const out: Record<string, [string | undefined, unknown[]]> = {};
  for (const f of t.schema.fields) out[f.name] = [v2DatatypeOf(f.type), [...(t.getChild(f.name) ?? [])] as unknown[]];
  return out;
}

/** A .npy file written by hand (format version 1.0). */
function npy(descr: string, shape: readonly number[], data: Uint8Array, fortran = false): Uint8Array {
  let header = `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(head);
  head.writeUInt16LE(header.length, 8);
  return Buffer.concat([head, Buffer.from(header, 'latin1'), data]);
}

/** The host Python the scripts provision (PYML_PYTHON overrides it, as for every layer). */
const PYTHON = process.env['PYML_PYTHON'] ?? '/usr/bin/python3';
const numpyAvailable = spawnSync(PYTHON, ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;

describe('input files', () => {
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pyml-files-'));
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('CSV', () => {
    it('infers INT64, FP64, BOOL and text per column; empty cells are missing', async () => {
      const t = table(await loadInputFile(write('a.csv', '\ufeffi,f,b,s,e\n1,1.5,true,x,\n-2,,false,"y, z",\n3,nan,TRUE,,\n')));
      assert.deepStrictEqual(columns(t), {
        i: ['INT64', [1n, -2n, 3n]],
        f: ['FP64', [1.5, null, NaN]],
        b: ['BOOL', [true, false, true]],
        s: ['BYTES', ['x', 'y, z', '']],
        e: ['FP64', [null, null, null]],
      });
    });

    it('takes the declared types of the model for the columns it names', async () => {
      const schema: ModelSchema = { model: 'm', version: '', platform: '', kind: 'dataframe', outputs: [], inputs: [{ name: 'code', datatype: 'BYTES', shape: [-1], text: true }, { name: 'k', datatype: 'UINT8', shape: [-1], text: false }] };
      const t = table(await loadInputFile(write('b.csv', 'code,k\n007,1\n010,255\n'), schema));
      assert.deepStrictEqual(columns(t), { code: ['BYTES', ['007', '010']], k: ['UINT8', [1, 255]] });
      await assert.rejects(loadInputFile(write('c.csv', 'code,k\n1,256\n'), schema), /row 1, column 'k': 256 is out of range for UINT8/);
    });

    it('reads TSV and refuses an empty file', async () => {
      assert.deepStrictEqual(columns(table(await loadInputFile(write('d.tsv', 'a\tb\n1\tx\n')))), { a: ['INT64', [1n]], b: ['BYTES', ['x']] });
      await assert.rejects(loadInputFile(write('e.csv', '')), (e: unknown) => e instanceof InputError && /e\.csv is empty: a CSV input needs a header row/.test(e.message));
    });
  });

  describe('JSON', () => {
    const expected = { a: ['INT64', [1n, 2n]], b: ['BYTES', ['x', null]] };

    it('reads records, columns, pandas "split" and JSON Lines', async () => {
      assert.deepStrictEqual(columns(table(await loadInputFile(write('r.json', '[{"a": 1, "b": "x"}, {"a": 2}]')))), expected);
      assert.deepStrictEqual(columns(table(await loadInputFile(write('c.json', '{"a": [1, 2], "b": ["x", null]}')))), expected);
      assert.deepStrictEqual(columns(table(await loadInputFile(write('s.json', '{"columns": ["a", "b"], "index": [0, 1], "data": [[1, "x"], [2, null]]}')))), expected);
      assert.deepStrictEqual(columns(table(await loadInputFile(write('l.jsonl', '{"a": 1, "b": "x"}\n\n{"a": 2, "b": null}\n')))), expected);
    });

    it('reads a V2 request (DataFrame or tensors) and named nested tensors', async () => {
      const df = await loadInputFile(write('v2df.json', JSON.stringify({ parameters: { content_type: 'pd' }, inputs: [{ name: 'x', datatype: 'FP32', shape: [2], data: [1, 2] }] })));
      assert.deepStrictEqual(columns(table(df)), { x: ['FP32', [1, 2]] });
      const tensors = await loadInputFile(write('v2t.json', JSON.stringify({ inputs: [{ name: 'img', datatype: 'INT16', shape: [2, 2], data: [[1, 2], [3, 4]] }] })));
      assert.ok(tensors.kind === 'tensors');
      const first = tensors.tensors[0];
      assert.ok(first);
      assert.deepStrictEqual([first.shape, [...first.values]], [[2, 2], [1, 2, 3, 4]]);
      const nested = await loadInputFile(write('n.json', '{"img": [[0.5, 1], [2, 3]], "ids": [[1], [2]]}'));
      assert.ok(nested.kind === 'tensors');
      assert.deepStrictEqual(nested.tensors.map((t) => [t.name, t.datatype, t.shape]), [['img', 'FP64', [2, 2]], ['ids', 'INT64', [2, 1]]]);
    });

    it('says what shapes it reads when the JSON is something else', async () => {
      await assert.rejects(loadInputFile(write('x.json', '{"a": 1}')), /is not a PyML sample \(\{"inputs": \{\.\.\.\}\}\), records, columns/);
      await assert.rejects(loadInputFile(write('y.json', '{"a": [1], "b": [1, 2]}')), /columns have different lengths \(1, 2\)/);
      await assert.rejects(loadInputFile(write('z.json', '{')), /z\.json: /);
    });
  });

  describe('Arrow IPC and Parquet', () => {
    it('reads Arrow IPC files and streams with their types', async () => {
      const t = new arrow.Table({ f: arrow.vectorFromArray([1.5, null], new arrow.Float32()), s: arrow.vectorFromArray(['a', 'b'], new arrow.Utf8()) });
      for (const format of ['file', 'stream'] as const) {
        const loaded = table(await loadInputFile(write(`t.${format === 'file' ? 'arrow' : 'arrows'}`, arrow.tableToIPC(t, format))));
        assert.deepStrictEqual(columns(loaded), { f: ['FP32', [1.5, null]], s: ['BYTES', ['a', 'b']] });
      }
      await assert.rejects(loadInputFile(write('bad.feather', 'not arrow')), /is not an Arrow IPC \/ Feather file/);
    });

    it('reads Parquet columns with nulls (hyparquet)', async () => {
      const { parquetWriteBuffer } = (await import('hyparquet-writer')) as { parquetWriteBuffer: (o: unknown) => ArrayBuffer };
      const buf = parquetWriteBuffer({
        columnData: [
          { name: 'd', data: new Float64Array([0.25, -1]), type: 'DOUBLE' },
          { name: 'f', data: new Float32Array([1, 2]), type: 'FLOAT' },
          { name: 'i', data: new Int32Array([7, 8]), type: 'INT32' },
          { name: 'l', data: [5n, null], type: 'INT64' },
          { name: 'b', data: [true, null], type: 'BOOLEAN' },
          { name: 's', data: ['p', null], type: 'STRING' },
        ],
      });
      const t = table(await loadInputFile(write('t.parquet', new Uint8Array(buf))));
      assert.deepStrictEqual(columns(t), {
        d: ['FP64', [0.25, -1]],
        f: ['FP32', [1, 2]],
        i: ['INT32', [7, 8]],
        l: ['INT64', [5n, null]],
        b: ['BOOL', [true, null]],
        s: ['BYTES', ['p', null]],
      });
    });
  });

  describe('NumPy', () => {
    it('reads .npy of every numeric dtype, C order, little- and big-endian', () => {
      const f8 = readNpy('a', npy('<f8', [2, 2], new Uint8Array(new Float64Array([1, 2, 3, 4]).buffer)));
      assert.deepStrictEqual([f8.datatype, f8.shape, [...f8.values]], ['FP64', [2, 2], [1, 2, 3, 4]]);
      const be = Buffer.alloc(8);
      be.writeInt32BE(-5, 0);
      be.writeInt32BE(6, 4);
      const i4 = readNpy('b', npy('>i4', [2], be));
      assert.deepStrictEqual([i4.datatype, [...i4.values]], ['INT32', [-5, 6]]);
      const b1 = readNpy('c', npy('|b1', [3], new Uint8Array([1, 0, 1])));
      assert.deepStrictEqual([b1.datatype, [...b1.values]], ['BOOL', [true, false, true]]);
      const scalar = readNpy('d', npy('<u2', [], new Uint8Array(new Uint16Array([9]).buffer)));
      assert.deepStrictEqual([scalar.shape, [...scalar.values]], [[], [9]]);
    });

    it('reads Fortran order as row-major, fixed strings, and refuses object arrays', () => {
      // Column-major [[1, 2, 3], [4, 5, 6]] is stored 1 4 2 5 3 6.
      const f = readNpy('f', npy('<i8', [2, 3], new Uint8Array(new BigInt64Array([1n, 4n, 2n, 5n, 3n, 6n]).buffer), true));
      assert.deepStrictEqual([...f.values], [1n, 2n, 3n, 4n, 5n, 6n]);
      const u = Buffer.alloc(2 * 3 * 4);
      u.writeUInt32LE(0x61, 0); // a
      u.writeUInt32LE(0x62, 4); // b
      u.writeUInt32LE(0x1f642, 12); // 🙂
      const s = readNpy('s', npy('<U3', [2], u));
      assert.deepStrictEqual([s.datatype, [...s.values]], ['BYTES', ['ab', '🙂']]);
      assert.throws(() => readNpy('o', npy('|O', [1], new Uint8Array(8))), /holds Python objects/);
      assert.throws(() => readNpy('x', new Uint8Array([1, 2, 3])), /not a \.npy file/);
    });

    it('reads .npz archives (stored and deflated)', async () => {
      const files = { 'x.npy': npy('<f4', [2], new Uint8Array(new Float32Array([1.5, 2.5]).buffer)), 'y.npy': npy('|u1', [1], new Uint8Array([7])) };
      for (const level of [0, 6] as const) {
        const loaded = await loadInputFile(write(`a${level}.npz`, zipSync(files, { level })));
        assert.ok(loaded.kind === 'tensors');
        assert.deepStrictEqual(loaded.tensors.map((t) => [t.name, t.datatype, [...t.values]]), [['x', 'FP32', [1.5, 2.5]], ['y', 'UINT8', [7]]]);
      }
    });

    it('reads what numpy itself writes', async function () {
      requirePrerequisite(this, numpyAvailable ? undefined : `${PYTHON} cannot import numpy`);
      const py = [
        'import numpy as np, sys',
        'd = sys.argv[1]',
        "np.save(d + '/c.npy', np.arange(6, dtype='<f8').reshape(2, 3))",
        "np.save(d + '/f.npy', np.asfortranarray(np.arange(6, dtype='>i2').reshape(2, 3)))",
        "np.save(d + '/s.npy', np.array(['héllo', 'x']))",
        "np.savez_compressed(d + '/z.npz', a=np.float16([0.5, 2]), b=np.array([[True, False]]))",
      ].join('\n');
      const r = spawnSync(PYTHON, ['-c', py, dir], { encoding: 'utf8' });
      assert.strictEqual(r.status, 0, r.stderr);
      const c = await loadInputFile(path.join(dir, 'c.npy'));
      const f = await loadInputFile(path.join(dir, 'f.npy'));
      const s = await loadInputFile(path.join(dir, 's.npy'));
      const z = await loadInputFile(path.join(dir, 'z.npz'));
      assert.ok(c.kind === 'tensors' && f.kind === 'tensors' && s.kind === 'tensors' && z.kind === 'tensors');
      assert.deepStrictEqual([c.tensors[0]?.shape, [...(c.tensors[0]?.values ?? [])]], [[2, 3], [0, 1, 2, 3, 4, 5]]);
      assert.deepStrictEqual([f.tensors[0]?.datatype, [...(f.tensors[0]?.values ?? [])]], ['INT16', [0, 1, 2, 3, 4, 5]]);
      assert.deepStrictEqual([...(s.tensors[0]?.values ?? [])], ['héllo', 'x']);
      assert.deepStrictEqual(z.tensors.map((t) => [t.name, t.datatype, t.shape, [...t.values]]), [['a', 'FP16', [2], [0.5, 2]], ['b', 'BOOL', [1, 2], [true, false]]]);
    });
  });

  it('refuses unknown file types, naming the ones it reads', async () => {
    await assert.rejects(loadInputFile(write('x.xlsx', 'PK')), /unknown file type '\.xlsx'; the panel reads \.csv/);
  });
});

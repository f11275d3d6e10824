import * as assert from 'assert';
import * as arrow from 'apache-arrow';
import * as path from 'path';
import { closeEnough, compareTables } from '../../../src/predict/compare';
import { bytesText, cellText, rowWindow, tableInfo } from '../../../src/predict/format';
import { formatFloat, randomCell, rng } from '../../../src/shared/panelValues';
import { followModel } from '../../../src/predict/modelState';
import { mapFrames } from '../../../src/predict/frames';
import { grpcurlCommand, quote } from '../../../src/predict/grpcurl';
import { panelHtml } from '../../../src/predict/html';
import { outputsTable } from '../../../src/predict/infer';
import { outputsJson, readSample, sampleInput, sampleJson, SampleError } from '../../../src/predict/samples';
import { sampleRanges } from '../../../src/predict/ranges';
import { compareOutputs, parseSample as parseSampleText, sampleFromJson } from '../../../src/scaffold/sample';
import * as fs from 'fs';
import * as os from 'os';
import { schemaFromMetadata, SchemaError } from '../../../src/predict/panelSchema';
import { addressTarget } from '../../../src/predict/targets';
import { decodeTensor, encodeTable, encodeTensors, type AnyTable } from '../../../src/protocol/arrowCodec';
import type { ModelMetadataResponse } from '../../../src/protocol/v2types';

function tableOf(columns: Record<string, arrow.Vector>): AnyTable {
  return new arrow.Table(columns) as AnyTable;
}

describe('panel pieces', () => {
  describe('samples', () => {
    it('writes the one sample format and reads it back: nulls, NaN, infinities, big integers, binary', () => {
      const input = tableOf({
        x: arrow.vectorFromArray([1.5, NaN, null, -Infinity], new arrow.Float64()),
        n: arrow.vectorFromArray([2n ** 60n, null, -1n, 0n], new arrow.Int64()),
        s: arrow.vectorFromArray(['a', null, 'é', ''], new arrow.Utf8()),
      });
      const outputs = [
        decodeTensor({ name: 'b', datatype: 'BYTES', shape: [2] }, Buffer.from([1, 0, 0, 0, 0xff, 2, 0, 0, 0, 0x41, 0x42])),
        decodeTensor({ name: 'k', datatype: 'UINT8', shape: [2, 1] }, Buffer.from([7, 9])),
      ];
      const json = sampleJson('m', { kind: 'table', table: input }, outputs, new Date(0));
      const file = JSON.parse(json) as Record<string, unknown>;
      assert.deepStrictEqual(Object.keys(file), ['description', 'model', 'inputs', 'expected']);
      assert.strictEqual(file['description'], 'Saved from the test prediction panel on 1970-01-01 00:00 UTC');
      assert.deepStrictEqual(file['inputs'], { x: [1.5, 'NaN', null, '-Infinity'], n: ['1152921504606846976', null, -1, 0], s: ['a', null, 'é', ''] });
      assert.deepStrictEqual(file['expected'], { b: [{ b64: '/w==' }, 'AB'], k: [[7], [9]] });
      assert.match(json, /"x": \[1\.5, "NaN", null, "-Infinity"\]/, 'columns stay on one line');
      const schema = { model: 'm', version: '', platform: '', kind: 'dataframe' as const, outputs: [], inputs: [
        { name: 'x', datatype: 'FP64' as const, shape: [-1], text: false },
        { name: 'n', datatype: 'INT64' as const, shape: [-1], text: false },
        { name: 's', datatype: 'BYTES' as const, shape: [-1], text: true },
      ] };
      const back = sampleInput(parseSampleText(json), schema);
      assert.ok(back.kind === 'table');
      assert.deepStrictEqual(encodeTable(back.table).raw, encodeTable(input).raw, 'the request reads back to the same bytes');
      assert.deepStrictEqual(compareOutputs(parseSampleText(json).expected ?? {}, outputsJson(outputs)), []);
    });

    it('writes tensors as nested lists by shape, float32 at float32 precision, and reads them back', () => {
      const tensors = [{ name: 't', shape: [2, 2], datatype: 'FP32' as const, values: arrow.makeVector(new Float32Array([0.1, 2, 3.3, 4])) }];
      const json = sampleJson('m', { kind: 'tensors', tensors }, []);
      assert.deepStrictEqual((JSON.parse(json) as { inputs: unknown }).inputs, { t: [[0.1, 2], [3.3, 4]] });
      const schema = { model: 'm', version: '', platform: '', kind: 'tensor' as const, outputs: [], inputs: [{ name: 't', datatype: 'FP32' as const, shape: [-1, 2], text: false }] };
      const back = sampleInput(parseSampleText(json), schema);
      assert.ok(back.kind === 'tensors');
      assert.deepStrictEqual(encodeTensors(back.tensors), encodeTensors(tensors));
      const guessed = sampleInput(parseSampleText(json));
      assert.ok(guessed.kind === 'tensors', 'nested lists without a schema are tensors');
      assert.deepStrictEqual(guessed.tensors[0]?.shape, [2, 2]);
    });

    it('reads the older panel format ("pyml_sample": 1) as the one format', () => {
      const legacy = {
        pyml_sample: 1, model: 'digits', kind: 'tensor', saved: '2024-01-01T00:00:00Z', tolerance: { rtol: 0.001, atol: 0 },
        request: { parameters: {}, inputs: [{ name: 'image', datatype: 'FP32', shape: [1, 2, 2], data: [1, 2, 3, 4] }] },
        response: { outputs: [{ name: 'label', datatype: 'INT64', shape: [1], data: [7] }] },
      };
      assert.deepStrictEqual(sampleFromJson(legacy), { model: 'digits', inputs: { image: [[[1, 2], [3, 4]]] }, expected: { label: [7] }, tolerance: { rtol: 0.001, atol: 0 } });
      assert.throws(() => sampleFromJson({ ...legacy, pyml_sample: 3 }), /"pyml_sample": 3 is not a sample version/);
      assert.throws(() => sampleFromJson({ ...legacy, request: { inputs: [{ name: 'x', shape: [2], data: [1] }] } }), /has 1 values; shape \[2\] needs 2/);
    });

    it('names what is wrong with a sample file', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pyml-panel-sample-'));
      const write = (name: string, text: string): string => {
        const f = path.join(dir, name);
        fs.writeFileSync(f, text);
        return f;
      };
      await assert.rejects(readSample(write('broken.json', '{"inputs": {')), (e: unknown) => e instanceof SampleError && /^broken\.json: cannot be read as JSON/.test(e.message));
      await assert.rejects(readSample(write('flat.json', '{"inputs": {"x": 1}}')), (e: unknown) => e instanceof SampleError && /^flat\.json: "inputs" must map/.test(e.message));
      const schema = { model: 'm', version: '', platform: '', kind: 'dataframe' as const, outputs: [], inputs: [{ name: 'n', datatype: 'INT8' as const, shape: [-1], text: false }] };
      assert.throws(() => sampleInput(parseSampleText('{"inputs": {"n": [1, 300]}}'), schema), /input 'n', value 2: 300 is out of range for INT8/);
      assert.throws(() => sampleInput(parseSampleText('{"inputs": {"n": [1], "m": [1, 2]}}')), /different lengths/);
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('takes random-value ranges from a sample: numbers per input, texts per text column', () => {
      assert.deepStrictEqual(sampleRanges(parseSampleText('{"inputs": {"cm": [4.3, 7.9, 5], "img": [[[0, 16], [3, 9]]], "plan": ["basic", "premium", "basic"], "x": ["NaN", 2]}}')), {
        cm: { min: 4.3, max: 7.9 },
        img: { min: 0, max: 16 },
        plan: { values: ['basic', 'premium'] },
        x: { min: 2, max: 2 },
      });
    });
  });

  describe('compare', () => {
    it('compares floats within a tolerance, NaN equal to NaN, and names the first differing row', () => {
      const a = tableOf({ y: arrow.makeVector(new Float64Array([1, NaN, 3.0000001])), s: arrow.vectorFromArray(['a', 'b', 'c']) });
      const b = tableOf({ y: arrow.makeVector(new Float64Array([1, NaN, 3])), s: arrow.vectorFromArray(['a', 'x', 'c']), extra: arrow.vectorFromArray([1, 2, 3]) });
      assert.deepStrictEqual(compareTables(a, b, { rtol: 1e-6, atol: 0 }), [
        { name: 'y', verdict: 'same', differing: 0, maxAbsDiff: Math.abs(3.0000001 - 3), firstRow: null },
        { name: 's', verdict: 'differs', differing: 1, maxAbsDiff: null, firstRow: 1 },
        { name: 'extra', verdict: 'only-b', differing: 0, maxAbsDiff: null, firstRow: null },
      ]);
      assert.strictEqual(compareTables(a, b)[0]?.verdict, 'differs', 'no tolerance by default');
      assert.ok(closeEnough(Infinity, Infinity, { rtol: 0, atol: 0 }));
      assert.ok(!closeEnough(NaN, 1, { rtol: 1, atol: 1 }));
      const rows = compareTables(tableOf({ y: arrow.makeVector(new Float64Array(2)) }), tableOf({ y: arrow.makeVector(new Float64Array(3)) }));
      assert.strictEqual(rows[0]?.verdict, 'rows');
      const types = compareTables(tableOf({ y: arrow.makeVector(new Float64Array(1)) }), tableOf({ y: arrow.makeVector(new Float32Array(1)) }));
      assert.strictEqual(types[0]?.verdict, 'type');
    });
  });

  describe('display', () => {
    it('describes columns and serves windows of rows as texts', () => {
      const t = outputsTable([
        decodeTensor({ name: 'p', datatype: 'FP64', shape: [3] }, Buffer.from(new Float64Array([0.1, NaN, -Infinity]).buffer)),
        decodeTensor({ name: 'v', datatype: 'INT64', shape: [3, 2] }, Buffer.from(new BigInt64Array([1n, 2n, 3n, 4n, 5n, 2n ** 62n]).buffer)),
      ]);
      assert.deepStrictEqual(tableInfo('t1', t).columns, [
        { name: 'p', datatype: 'FP64', shape: '[3]', nulls: 0 },
        { name: 'v[0]', datatype: 'INT64', shape: '[3, 2]', nulls: 0 },
        { name: 'v[1]', datatype: 'INT64', shape: '[3, 2]', nulls: 0 },
      ], 'a short vector per row is shown one column per element');
      assert.deepStrictEqual(rowWindow(t, 1, 5), [['NaN', '3', '4'], ['-inf', '5', '4611686018427387904']]);
      assert.strictEqual(bytesText(new Uint8Array([0x41, 0x27, 0x5c, 0x00, 0xff])), "b'A\\'\\\\\\x00\\xff'");
    });

    it('shows floats at their precision and always as floats; rows of higher rank nested by shape, whole in cellText', () => {
      const t = outputsTable([
        decodeTensor({ name: 'p', datatype: 'FP32', shape: [2] }, Buffer.from(new Float32Array([0.1, 1]).buffer)),
        decodeTensor({ name: 'q', datatype: 'FP64', shape: [2] }, Buffer.from(new Float64Array([0.1, 1]).buffer)),
        decodeTensor({ name: 'img', datatype: 'FP32', shape: [2, 2, 3] }, Buffer.from(new Float32Array([0.1, 0.2, 0.3, 1, 2, 3, 4, 5, 6, 7, 8, 9]).buffer)),
      ]);
      assert.deepStrictEqual(rowWindow(t, 0, 2), [
        ['0.1', '0.1', '[[0.1, 0.2, 0.3], [1.0, 2.0, 3.0]]'],
        ['1.0', '1.0', '[[4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]'],
      ]);
      assert.strictEqual(cellText(t, 1, 2), '[[4.0, 5.0, 6.0],\n [7.0, 8.0, 9.0]]');
      assert.strictEqual(cellText(t, 5, 2), null);
      assert.strictEqual(formatFloat(0.99999994, 32), '0.99999994');
      assert.strictEqual(formatFloat(1e-7, 64), '1e-7');
      assert.strictEqual(formatFloat(-3, 64), '-3.0');
    });

    it('lists tensors of different first dimensions one per row', () => {
      const t = outputsTable([
        decodeTensor({ name: 'a', datatype: 'FP32', shape: [2] }, Buffer.from(new Float32Array([1, 2]).buffer)),
        decodeTensor({ name: 'b', datatype: 'FP32', shape: [3] }, Buffer.from(new Float32Array([3, 4, 5]).buffer)),
      ]);
      assert.deepStrictEqual(rowWindow(t, 0, 2), [['a', 'FP32', '[2]', '[1, 2]'], ['b', 'FP32', '[3]', '[3, 4, 5]']]);
    });
  });

  describe('grpcurl', () => {
    const proto = '/ext/runtime/pyml/proto/grpc_predict_v2.proto';

    it('writes typed contents in protobuf JSON (int64 as text, bytes as base64)', () => {
      const enc = encodeTable(tableOf({ n: arrow.vectorFromArray([1n, null], new arrow.Int64()), s: arrow.vectorFromArray(['hi', 'x']) }));
      const cmd = grpcurlCommand('unix:///tmp/my model.sock', proto, 'm', enc);
      const lines = cmd.split('\n');
      assert.strictEqual(lines[0], 'grpcurl -plaintext -unix -max-msg-sz 536870912 \\');
      assert.strictEqual(lines[1], '  -import-path /ext/runtime/pyml/proto -proto grpc_predict_v2.proto \\');
      assert.strictEqual(lines[2], "  -d @ '/tmp/my model.sock' inference.GRPCInferenceService/ModelInfer <<'PYML_REQUEST'");
      const body = JSON.parse(lines[3] ?? '') as Record<string, unknown>;
      assert.deepStrictEqual(body, {
        model_name: 'm',
        inputs: [
          { name: 'n', datatype: 'INT64', shape: ['2'], contents: { int64_contents: ['1', '0'] } },
          { name: 'n:valid', datatype: 'BOOL', shape: ['2'], parameters: { validity_of: { string_param: 'n' } }, contents: { bool_contents: [true, false] } },
          { name: 's', datatype: 'BYTES', shape: ['2'], contents: { bytes_contents: ['aGk=', 'eA=='] } },
        ],
        parameters: { content_type: { string_param: 'pd' } },
      });
      assert.strictEqual(lines[4], 'PYML_REQUEST');
    });

    it('falls back to raw contents for everything when a tensor is FP16', () => {
      const enc = encodeTensors([{ name: 'h', shape: [1], values: arrow.vectorFromArray([1], new arrow.Float16()) }]);
      const body = JSON.parse(grpcurlCommand('127.0.0.1:8001', proto, 'm', enc).split('\n')[3] ?? '') as { raw_input_contents: string[]; inputs: Record<string, unknown>[] };
      assert.deepStrictEqual(body.raw_input_contents, ['ADw=']);
      assert.strictEqual(body.inputs[0]?.['contents'], undefined);
      assert.strictEqual(quote("it's"), "'it'\\''s'");
    });
  });

  describe('traceback frames', () => {
    const folder = path.resolve('/work/models/churn');
    const exists = (f: string): boolean => [path.join(folder, 'model.py'), path.join(folder, 'lib', 'util.py'), '/usr/lib/python3/x.py'].includes(f);
    const frame = (file: string, inModel: boolean) => ({ file, line: 3, function: 'f', code: 'c', inModel });

    it('links frames in the model folder, the image model path, and existing absolute files only', () => {
      const { frames, links } = mapFrames(
        [frame('model.py', true), frame('/opt/pyml/model/lib/util.py', false), frame('/usr/lib/python3/x.py', false), frame('/usr/lib/python3/y.py', false), frame('../../etc/passwd', true), frame('<string>', false)],
        folder,
        exists,
      );
      assert.deepStrictEqual(frames.map((f) => f.linked), [true, true, true, false, false, false]);
      assert.strictEqual(links.get('model.py'), path.join(folder, 'model.py'));
      assert.strictEqual(links.get('/opt/pyml/model/lib/util.py'), path.join(folder, 'lib', 'util.py'));
      assert.strictEqual(links.has('../../etc/passwd'), false, 'a relative path may not leave the model folder');
    });

    it('links nothing in the model without a known folder', () => {
      assert.deepStrictEqual(mapFrames([frame('model.py', true)], undefined, exists).frames.map((f) => f.linked), [false]);
    });
  });

  describe('schema, targets, page', () => {
    const md = (params: Record<string, { string_param: string }>, inputs: ModelMetadataResponse['inputs']): ModelMetadataResponse => ({ name: 'm', versions: ['3'], platform: 'x', inputs, outputs: [], parameters: params });

    it('reads a PyML DataFrame model and a foreign tensor model from ModelMetadata', () => {
      const df = schemaFromMetadata(md({ content_type: { string_param: 'pd' } }, [{ name: 's', datatype: 'BYTES', shape: [-1], parameters: { content_type: { string_param: 'str' } } }, { name: 'b', datatype: 'BYTES', shape: [-1], parameters: { dtype: { string_param: 'bytes' } } }]));
      assert.deepStrictEqual([df.kind, df.version, df.inputs.map((f) => f.text)], ['dataframe', '3', [true, false]]);
      const t = schemaFromMetadata(md({}, [{ name: 'x', datatype: 'fp32', shape: [-1, 3], parameters: {} }]));
      assert.deepStrictEqual([t.kind, t.inputs[0]?.datatype], ['tensor', 'FP32']);
      assert.throws(() => schemaFromMetadata(md({}, [{ name: 'x', datatype: 'BF16', shape: [1], parameters: {} }])), (e: unknown) => e instanceof SchemaError && /declares 'x' as BF16/.test(e.message));
    });

    it('takes addresses in the usual spellings and refuses others', () => {
      assert.strictEqual(addressTarget('/tmp/m.sock').address, 'unix:///tmp/m.sock');
      assert.strictEqual(addressTarget('unix:/tmp/m.sock').address, 'unix:///tmp/m.sock');
      assert.strictEqual(addressTarget('localhost:8001').address, 'localhost:8001');
      assert.strictEqual(addressTarget('[::1]:8001').address, '[::1]:8001');
      assert.throws(() => addressTarget('http://example'), /is not a server address/);
      assert.throws(() => addressTarget('unix://'), /is not a server address/);
    });

    it("serves a page whose CSP is default-src 'none' with the nonce on every script and stylesheet", () => {
      const html = panelHtml({ cspSource: 'https://x.vscode-cdn.net', nonce: 'abc123', script: 'S.js', css: 'C.css' });
      const csp = /Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1] ?? '';
      assert.match(csp, /^default-src 'none'; script-src 'nonce-abc123'; style-src https:\/\/x\.vscode-cdn\.net 'nonce-abc123'/);
      assert.doesNotMatch(csp, /unsafe/);
      assert.strictEqual((html.match(/<script /g) ?? []).length, (html.match(/<script nonce="abc123"/g) ?? []).length);
    });
  });
});

describe('panel: the model state it follows', () => {
  const model = { folder: '/ws/churn', address: 'unix:///run/churn.sock', modelName: 'churn' };
  it('says running, starting, reloading, reloaded (kept), a failed reload, stopped', () => {
    const at = new Date(2026, 0, 1, 9, 5, 7);
    const target = { address: model.address, folder: model.folder };
    assert.strictEqual(followModel([{ ...model, status: 'ready' }], target, undefined)?.state.state, 'running');
    assert.strictEqual(followModel([{ ...model, status: 'starting' }], target, undefined)?.state.state, 'starting');
    const reloading = followModel([{ ...model, status: 'reloading' }], target, undefined)?.state;
    assert.strictEqual(reloading?.state, 'reloading');
    const reloaded = followModel([{ ...model, status: 'ready' }], target, reloading, at)?.state;
    assert.deepStrictEqual(reloaded, { state: 'reloaded', text: 'churn reloaded at 09:05:07 (dev mode: saved changes are live).' });
    assert.strictEqual(followModel([{ ...model, status: 'ready' }], target, reloaded)?.state, reloaded, 'reloaded stays until something else happens');
    assert.match(followModel([{ ...model, status: 'reload-failed', detail: 'NameError' }], target, undefined)?.state.text ?? '', /previous model keeps serving: NameError/);
    assert.deepStrictEqual(followModel([], target, reloaded)?.state, { state: 'stopped', text: 'The model is stopped: run it again to send requests.' });
    assert.strictEqual(followModel([{ ...model, status: 'exited', detail: 'exited 137' }], target, undefined)?.state.state, 'stopped');
  });

  it('finds a restarted container of the same folder at a new address; says nothing of a server it does not run', () => {
    const moved = followModel([{ ...model, address: 'unix:///run/new.sock', status: 'ready' }], { address: model.address, folder: model.folder }, { state: 'starting', text: '' });
    assert.strictEqual(moved?.model?.address, 'unix:///run/new.sock');
    assert.strictEqual(followModel([], { address: 'localhost:8001' }, undefined), undefined);
  });
});

describe('panel: random values', () => {
  it('draws within the sample ranges, non-negative by default, texts from the sample', () => {
    const r = rng(7);
    for (let i = 0; i < 200; i++) {
      const cm = Number(randomCell('FP64', r, { min: 4.3, max: 7.9 }));
      assert.ok(cm >= 4.3 && cm <= 7.9, `${cm} is within 4.3..7.9`);
      const px = Number(randomCell('FP32', r));
      assert.ok(px >= 0 && px <= 1, `${px} is within 0..1`);
      const n = Number(randomCell('INT64', r, { min: 0, max: 16 }));
      assert.ok(Number.isInteger(n) && n >= 0 && n <= 16);
      assert.ok(['basic', 'premium'].includes(randomCell('BYTES', r, { values: ['basic', 'premium'] })));
    }
  });
});

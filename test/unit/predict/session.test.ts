// The panel's logic against a real PyML runtime server over a real Unix socket (no VS Code):
// connect, send grid/tensor/file inputs, read answers, tracebacks with links, history, samples.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseToWebview, type ToWebview } from '../../../src/shared/panelMessages';
import { PanelSession, type PanelHost } from '../../../src/predict/session';
import { outputsJson, readSample, sampleInput } from '../../../src/predict/samples';
import { conformPrepared } from '../../../src/predict/inputs';
import { compareOutputs } from '../../../src/scaffold/sample';
import { runInference } from '../../../src/predict/infer';
import { V2Client } from '../../../src/protocol/v2client';
import { liveServerUnavailable, PANEL_FIXTURES, PROTO, startServer, type LiveServer } from './liveServer';
import { requirePrerequisite } from '../../prerequisite';

type Of<T extends ToWebview['type']> = Extract<ToWebview, { type: T }>;

class FakeHost implements PanelHost {
  readonly posted: ToWebview[] = [];
  readonly logs: string[] = [];
  readonly opened: { file: string; line: number }[] = [];
  readonly copied: string[] = [];
  readonly saved: string[] = [];
  nextFile: string | undefined;
  private waiters: { test: (m: ToWebview) => boolean; resolve: (m: ToWebview) => void }[] = [];

  constructor(private readonly folder: string | undefined) {}

  post(message: ToWebview): void {
    // What the extension posts must pass the webview's own check.
    const checked = parseToWebview(JSON.parse(JSON.stringify(message)));
    assert.ok(checked.ok, `the session posted a malformed message: ${checked.ok ? '' : checked.error}`);
    this.posted.push(message);
    this.waiters = this.waiters.filter((w) => {
      if (!w.test(message)) return true;
      w.resolve(message);
      return false;
    });
  }

  readonly log = {
    info: (m: string) => this.logs.push(`info ${m}`),
    warn: (m: string) => this.logs.push(`warn ${m}`),
    error: (m: string) => this.logs.push(`error ${m}`),
  };

  listTargets = (): Promise<{ targets: [] }> => Promise.resolve({ targets: [] });
  pickInputFile = (): Promise<string | undefined> => Promise.resolve(this.nextFile);
  openFile = (file: string, line: number): Promise<void> => {
    this.opened.push({ file, line });
    return Promise.resolve();
  };
  copy = (text: string): Promise<void> => {
    this.copied.push(text);
    return Promise.resolve();
  };
  modelFolder = (): Promise<string | undefined> => Promise.resolve(this.folder);
  writeSample = async (folder: string, name: string, json: string): Promise<string> => {
    const file = path.join(folder, `${name}.json`);
    await fs.promises.writeFile(file, json);
    this.saved.push(file);
    return file;
  };
  settings = (): { protoPath: string; maxMessageBytes: number; timeoutMs: number } => ({ protoPath: PROTO, maxMessageBytes: 256 << 20, timeoutMs: 30_000 });

  last<T extends ToWebview['type']>(type: T): Of<T> {
    const found = [...this.posted].reverse().find((m) => m.type === type);
    assert.ok(found, `nothing of type ${type} was posted; posted: ${this.posted.map((m) => m.type).join(', ')}`);
    return found as Of<T>;
  }
}

function gridColumns(rows: Record<string, (string | null)[]>): { name: string; cells: (string | null)[] }[] {
  return Object.entries(rows).map(([name, cells]) => ({ name, cells }));
}

describe('panel session against a real runtime server', function () {
  this.timeout(60_000);
  const unavailable = liveServerUnavailable();
  let server: LiveServer | undefined;
  let tensorServer: LiveServer | undefined;
  let workFolder: string;

  before(async function () {
    requirePrerequisite(this, unavailable);
    // A copy of the fixture: samples are written into it.
    workFolder = fs.mkdtempSync(path.join(os.tmpdir(), 'pyml-panel-model-'));
    fs.cpSync(path.join(PANEL_FIXTURES, 'panel-df'), workFolder, { recursive: true });
    [server, tensorServer] = await Promise.all([startServer(workFolder), startServer(path.join(PANEL_FIXTURES, 'panel-tensor'))]);
  });

  after(async () => {
    await Promise.all([server?.stop(), tensorServer?.stop()]);
    if (workFolder) fs.rmSync(workFolder, { recursive: true, force: true });
  });

  async function connected(host = new FakeHost(workFolder), address = server?.address ?? ''): Promise<{ host: FakeHost; session: PanelSession }> {
    const session = new PanelSession(host);
    await session.receive({ type: 'connect', address });
    return { host, session };
  }

  it('connects by address and reads the schema from ModelMetadata', async () => {
    const { host, session } = await connected();
    const c = host.last('connection');
    assert.strictEqual(c.error, undefined, c.error);
    assert.ok(c.schema);
    assert.strictEqual(c.schema.model, 'panel-df');
    assert.strictEqual(c.schema.kind, 'dataframe');
    assert.deepStrictEqual(
      c.schema.inputs.map((f) => [f.name, f.datatype, f.text]),
      [['x', 'FP64', false], ['n', 'INT64', false], ['label', 'BYTES', true], ['flag', 'BOOL', false]],
    );
    assert.match(c.server, /^pyml /);
    session.dispose();
  });

  it('replays the sample it loaded on connecting when the webview says ready only afterwards, and connects one at a time', async () => {
    // The panel connects as it opens, before the webview's script listens: what it loaded then must
    // still reach the webview once it is ready. A second connect asked for meanwhile waits.
    const sample = path.join(workFolder, 'early-sample.json');
    fs.writeFileSync(sample, JSON.stringify({ inputs: { x: [1.5], n: [2], label: ['a'], flag: [true] } }));
    const host = Object.assign(new FakeHost(workFolder), { modelSample: (): Promise<string> => Promise.resolve(sample) });
    const session = new PanelSession(host);
    await Promise.all([session.connect(undefined, server?.address ?? '', undefined), session.connect(undefined, server?.address ?? '', undefined)]);
    assert.deepStrictEqual(host.posted.flatMap((m) => (m.type === 'connection' ? [m.error] : [])), [undefined, undefined], 'neither connection cut the other');
    assert.strictEqual(host.posted.filter((m) => m.type === 'loaded').length, 1);
    const before = host.posted.length;
    await session.receive({ type: 'ready' });
    const after = host.posted.slice(before).map((m) => m.type);
    assert.deepStrictEqual(after.filter((t) => t === 'connection' || t === 'loaded'), ['connection', 'loaded'], `posted on ready: ${after.join(', ')}`);
    assert.ok(after.includes('ranges'), 'the sample\'s value ranges are replayed too');
    await session.receive({ type: 'ready' });
    assert.strictEqual(host.posted.filter((m) => m.type === 'loaded').length, 2, 'replayed once only');
    session.dispose();
    fs.rmSync(sample);
  });

  it('says why when nothing listens at the address', async () => {
    const { host, session } = await connected(new FakeHost(undefined), 'unix:///tmp/pyml-nothing-here.sock');
    assert.match(host.last('connection').error ?? '', /Nothing answers at unix:\/\/\/tmp\/pyml-nothing-here\.sock: the model is not running/);
    session.dispose();
  });

  it('sends the grid and shows the answer, with timings and sizes', async () => {
    const { host, session } = await connected();
    await session.receive({
      type: 'send',
      requestId: 'r1',
      input: { source: 'grid', columns: gridColumns({ x: ['1.5', '-2', '1e3'], n: ['7', '9007199254740993', '-1'], label: ['a', 'héllo', ''], flag: ['true', '0', 'yes'] }) },
    });
    const result = host.last('result');
    assert.deepStrictEqual(result.table.columns.map((c) => [c.name, c.datatype]), [['y', 'FP64'], ['n', 'INT64'], ['label', 'BYTES'], ['flag', 'BOOL']]);
    assert.strictEqual(result.table.rows, 3);
    assert.ok(result.timings.roundTripMs > 0 && result.timings.encodeMs >= 0 && result.timings.decodeMs >= 0);
    assert.ok(typeof result.timings.serverMs === 'number' && result.timings.serverMs >= 0, 'the runtime reports its predict() time (pyml_predict_ms)');
    assert.strictEqual(result.sizes.requestBytes, 3 * 8 + 3 * 8 + (4 * 3 + 1 + 6) + 3);
    await session.receive({ type: 'getRows', tableId: result.table.tableId, start: 0, count: 10 });
    assert.deepStrictEqual(host.last('rows').rows, [
      ['3.0', '7', 'A', 'true'],
      ['-4.0', '9007199254740993', 'HÉLLO', 'false'],
      ['2000.0', '-1', '', 'true'],
    ]);
    assert.strictEqual(host.last('history').entries[0]?.ok, true);
    session.dispose();
  });

  it('carries missing values both ways (NaN for floats, validity companions for the rest)', async () => {
    const { host, session } = await connected();
    await session.receive({
      type: 'send',
      requestId: 'r2',
      input: { source: 'grid', columns: gridColumns({ x: ['1', null], n: [null, '2'], label: ['q', null], flag: [null, 'false'] }) },
    });
    const result = host.last('result');
    assert.deepStrictEqual(result.table.columns.map((c) => c.nulls), [0, 1, 1, 1]);
    await session.receive({ type: 'getRows', tableId: result.table.tableId, start: 0, count: 2 });
    assert.deepStrictEqual(host.last('rows').rows, [
      ['2.0', null, 'Q', null],
      ['NaN', '2', null, 'false'],
    ]);
    session.dispose();
  });

  it('refuses a bad cell before sending, naming the column and row', async () => {
    const { host, session } = await connected();
    await session.receive({ type: 'send', requestId: 'r3', input: { source: 'grid', columns: gridColumns({ x: ['1', 'abc'], n: ['1', '2'], label: ['a', 'b'], flag: ['true', 'maybe'] }) } });
    const f = host.last('failed');
    assert.strictEqual(f.failure.status, 'LOCAL');
    assert.match(f.failure.message, /column 'x', row 2: 'abc' is not a number \(FP64\)/);
    assert.match(f.failure.message, /column 'flag', row 2: 'maybe' is not a bool/);
    session.dispose();
  });

  it('shows a model exception with its traceback, frames linked to the model files', async () => {
    const { host, session } = await connected();
    await session.receive({ type: 'send', requestId: 'r4', input: { source: 'grid', columns: gridColumns({ x: ['1'], n: ['1'], label: ['boom'], flag: ['true'] }) } });
    const f = host.last('failed');
    assert.strictEqual(f.failure.status, 'INTERNAL');
    assert.ok(f.failure.error, 'the runtime sent its error report');
    assert.strictEqual(f.failure.error.type, 'ValueError');
    assert.match(f.failure.error.traceback, /Traceback \(most recent call last\)/);
    const frames = f.failure.error.frames.filter((x) => x.inModel);
    assert.deepStrictEqual(frames.map((x) => [x.file, x.function, x.linked]), [['model.py', 'predict', true], ['helpers.py', 'check_labels', true]]);
    const helper = frames[1];
    assert.ok(helper);
    assert.strictEqual(helper.line, 7);
    await session.receive({ type: 'openFrame', file: helper.file, line: helper.line });
    assert.deepStrictEqual(host.opened, [{ file: path.join(workFolder, 'helpers.py'), line: 7 }]);
    // Only frames of the last error may be opened.
    await session.receive({ type: 'openFrame', file: '/etc/passwd', line: 1 });
    assert.strictEqual(host.opened.length, 1);
    assert.ok(host.logs.some((l) => /refused to open '\/etc\/passwd'/.test(l)));
    // The server keeps serving.
    await session.receive({ type: 'send', requestId: 'r5', input: { source: 'grid', columns: gridColumns({ x: ['1'], n: ['1'], label: ['fine'], flag: ['true'] }) } });
    assert.strictEqual(host.last('result').requestId, 'r5');
    session.dispose();
  });

  it('drops and logs malformed messages from the webview without answering', async () => {
    const { host, session } = await connected();
    const before = host.posted.length;
    for (const bad of [null, 'send', { type: 'send' }, { type: 'getRows', tableId: 't', start: -5, count: 1 }, { type: 'rm -rf' }]) await session.receive(bad);
    assert.strictEqual(host.posted.length, before);
    assert.strictEqual(host.logs.filter((l) => l.startsWith('warn') && /dropped a malformed message/.test(l)).length, 5);
    session.dispose();
  });

  it('loads a CSV file, sends it and answers', async () => {
    const csv = path.join(workFolder, 'input.csv');
    fs.writeFileSync(csv, 'label,x,n,flag,extra\nfoo,0.25,1,true,zz\nbar,-1,2,false,zz\n');
    const host = new FakeHost(workFolder);
    const { session } = await connected(host);
    host.nextFile = csv;
    await session.receive({ type: 'loadFile' });
    const loaded = host.last('loaded');
    assert.deepStrictEqual(loaded.table.columns.map((c) => [c.name, c.datatype]), [['x', 'FP64'], ['n', 'INT64'], ['label', 'BYTES'], ['flag', 'BOOL']]);
    assert.match(loaded.warnings.join(' '), /ignored 1 column .*extra/);
    await session.receive({ type: 'send', requestId: 'r6', input: { source: 'loaded', inputId: loaded.inputId } });
    const result = host.last('result');
    await session.receive({ type: 'getRows', tableId: result.table.tableId, start: 0, count: 5 });
    assert.deepStrictEqual(host.last('rows').rows, [['0.5', '1', 'FOO', 'true'], ['-2.0', '2', 'BAR', 'false']]);
    // A small loaded table can be turned into grid cells to edit.
    await session.receive({ type: 'editLoaded', inputId: loaded.inputId });
    assert.deepStrictEqual(host.last('gridData').columns, [
      { name: 'x', cells: ['0.25', '-1.0'] },
      { name: 'n', cells: ['1', '2'] },
      { name: 'label', cells: ['foo', 'bar'] },
      { name: 'flag', cells: ['true', 'false'] },
    ]);
    session.dispose();
  });

  it('loads a .npy file for a tensor model, casts it to the declared dtype and sends it', async () => {
    const values = new Float64Array([1, 2, 3, 4, 5, 6, 7, 8]);
    let header = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2, 2), }";
    header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
    const head = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 0, 0]);
    head.writeUInt16LE(header.length, 8);
    const file = path.join(workFolder, 'images.npy');
    fs.writeFileSync(file, Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(values.buffer)]));
    const host = new FakeHost(undefined);
    const { session } = await connected(host, tensorServer?.address);
    host.nextFile = file;
    await session.receive({ type: 'loadFile' });
    const loaded = host.last('loaded');
    assert.deepStrictEqual(loaded.warnings, ["sent as input 'image' (the file's array is 'images')"]);
    assert.deepStrictEqual(loaded.table.columns.map((c) => c.name), ['image'], 'the preview names the input it is sent as');
    await session.receive({ type: 'send', requestId: 'n1', input: { source: 'loaded', inputId: loaded.inputId } });
    const result = host.last('result');
    await session.receive({ type: 'getRows', tableId: result.table.tableId, start: 0, count: 2 });
    assert.deepStrictEqual(host.last('rows').rows, [['10.0', '[[2.0, 4.0], [6.0, 8.0]]'], ['26.0', '[[10.0, 12.0], [14.0, 16.0]]']]);
    session.dispose();
  });

  it('keeps a history: re-send, compare, copy as grpcurl, save as a sample that replays the same', async () => {
    const { host, session } = await connected();
    const grid = gridColumns({ x: ['0.1', '0.2'], n: ['1', '2'], label: ['a', 'b'], flag: ['true', 'false'] });
    await session.receive({ type: 'send', requestId: 'a', input: { source: 'grid', columns: grid } });
    const first = host.last('result').historyId;
    await session.receive({ type: 'resend', historyId: first });
    const second = host.last('result').historyId;
    assert.notStrictEqual(first, second);
    await session.receive({ type: 'compare', a: first, b: second });
    assert.ok(host.last('comparison').comparison.columns.every((c) => c.verdict === 'same'));

    await session.receive({ type: 'copyGrpcurl', historyId: first });
    const command = host.copied[0] ?? '';
    assert.match(command, /^grpcurl -plaintext -unix /);
    assert.ok(command.includes(server?.socket ?? '?'));
    const body = JSON.parse(command.split('\n')[3] ?? '') as { model_name: string; inputs: { name: string; contents: Record<string, unknown[]> }[] };
    assert.strictEqual(body.model_name, 'panel-df');
    assert.deepStrictEqual(body.inputs.find((i) => i.name === 'n')?.contents, { int64_contents: ['1', '2'] });

    await session.receive({ type: 'saveSample', historyId: first, name: 'two-rows' });
    const file = host.saved[0] ?? '';
    assert.strictEqual(file, path.join(workFolder, 'two-rows.json'));
    const sample = await readSample(file);
    assert.strictEqual(sample.model, 'panel-df');
    assert.deepStrictEqual(sample.inputs, { x: [0.1, 0.2], n: [1, 2], label: ['a', 'b'], flag: [true, false] }, 'the one sample format: columns by name');
    const schema = host.last('connection').schema;
    assert.ok(schema);
    const client = new V2Client(server?.address ?? '', { protoPath: PROTO, maxMessageBytes: 1 << 26 });
    try {
      const replay = await runInference(client, 'panel-df', conformPrepared(schema, sampleInput(sample, schema)));
      assert.deepStrictEqual(compareOutputs(sample.expected ?? {}, outputsJson(replay.outputs), sample.tolerance), []);
    } finally {
      client.close();
    }
    session.dispose();
  });

  it('hands an answer back to its client once it leaves the kept history, and no longer serves its rows', async () => {
    // V2Client.recycle is where big answers' memory goes back to the shared-memory channel; counted here.
    const handedBack: unknown[] = [];
    const original = Object.getOwnPropertyDescriptor(V2Client.prototype, 'recycle');
    V2Client.prototype.recycle = function (response) {
      handedBack.push(response);
    };
    try {
      const { host, session } = await connected();
      const grid = gridColumns({ x: ['0.5'], n: ['1'], label: ['a'], flag: ['true'] });
      const tables: string[] = [];
      for (let i = 0; i < 9; i++) {
        await session.receive({ type: 'send', requestId: `k${i}`, input: { source: 'grid', columns: grid } });
        tables.push(host.last('result').table.tableId);
        assert.strictEqual(handedBack.length, i < 8 ? 0 : 1, `after answer ${i + 1}`);
      }
      await session.receive({ type: 'getRows', tableId: tables[0] ?? '', start: 0, count: 1 });
      assert.match(host.last('notice').text, /no longer held/);
      await session.receive({ type: 'getRows', tableId: tables[1] ?? '', start: 0, count: 1 });
      assert.deepStrictEqual(host.last('rows').rows, [['1.0', '1', 'A', 'true']]);
      session.dispose();
    } finally {
      if (original) Object.defineProperty(V2Client.prototype, 'recycle', original);
    }
  });

  it('sends tensors typed as nested lists to a tensor model, checking shapes first', async () => {
    const { host, session } = await connected(new FakeHost(undefined), tensorServer?.address);
    assert.strictEqual(host.last('connection').schema?.kind, 'tensor');
    await session.receive({ type: 'send', requestId: 't1', input: { source: 'tensors', tensors: [{ name: 'image', datatype: 'FP32', shape: [], text: '[[[1, 2], [3, 4]], [[0.5, 0.5], [0, -1]]]' }] } });
    const result = host.last('result');
    assert.deepStrictEqual(result.table.columns.map((c) => [c.name, c.shape]), [['total', '[2]'], ['doubled', '[2, 2, 2]']]);
    await session.receive({ type: 'getRows', tableId: result.table.tableId, start: 0, count: 2 });
    assert.deepStrictEqual(host.last('rows').rows, [['10.0', '[[2.0, 4.0], [6.0, 8.0]]'], ['0.0', '[[1.0, 1.0], [0.0, -2.0]]']]);
    await session.receive({ type: 'send', requestId: 't2', input: { source: 'tensors', tensors: [{ name: 'image', datatype: 'FP32', shape: [], text: '[[1, 2, 3]]' }] } });
    assert.match(host.last('failed').failure.message, /shape \[1, 3\] does not fit the declared \[-1, 2, 2\]/);
    session.dispose();
  });
});

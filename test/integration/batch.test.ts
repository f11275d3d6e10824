/**
 * Offline batch prediction through the model's image, against the real engine: the fixture
 * test/fixtures/batch/scorer built from the generated Dockerfile, batch containers started from it,
 * real gRPC over the socket. Online (ModelInfer on a Run Model container) and offline give the same
 * bytes; CSV -> Parquet; SQL over Parquet -> CSV; a schema mismatch is refused before anything is
 * sent; a raising batch stops the run naming its rows; cancel leaves no file; `python3 -m pyml
 * batch` inside the image gives the same values.
 */
import * as assert from 'assert';
import * as arrow from 'apache-arrow';
import { randomBytes } from 'crypto';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BATCH_LABEL, containerPredictor, startBatchContainer } from '../../src/batch/container';
import { DuckDbMissingError, loadDuckDb } from '../../src/batch/duckdb';
import { BatchCancelledError, BatchFailedError, SchemaMismatchError } from '../../src/batch/batchErrors';
import { openSource, type InputSpec } from '../../src/batch/readers';
import { checkInput, runBatch, type BatchProgress, type Predictor } from '../../src/batch/run';
import { runInContainerThread } from '../../src/batch/thread/runInThread';
import { ContainerExitedError } from '../../src/container/containerErrors';
import { InputError } from '../../src/tables/errors';
import type { OutputFormat } from '../../src/batch/writers/sink';
import { buildImage, prepareBuild } from '../../src/container/imageBuild';
import { LABEL } from '../../src/container/labels';
import type { ModelContainer } from '../../src/container/modelContainer';
import { startModel } from '../../src/container/runContainer';
import { loadManifest, type Manifest } from '../../src/model/manifest';
import { V2Error } from '../../src/protocol/v2client';
import { toInferParameters, type ModelInferRequest } from '../../src/protocol/v2types';
import { writeParquet } from '../unit/batch/helpers';
import { buildSettings, byteStrings, Cleanup, REPO, requireBaseImage, runSettings, testEngine, waitFor } from './helpers';
import { missingPrerequisite } from '../prerequisite';

const FIXTURE = path.join(REPO, 'test', 'fixtures', 'batch', 'scorer');
/** The batch thread's script as tsc writes it. */
const BATCH_THREAD_SCRIPT = path.join(REPO, 'out', 'src', 'batch', 'thread', 'batchThread.js');

/** The rows every test draws from: awkward floats, big integers, text with commas, quotes and accents. */
function rows(count: number, boomAt = -1): { x: number[]; n: bigint[]; label: string[]; id: string[] } {
  const special = [0, -0, 0.1, 1 / 3, -1e-300, 5e-324, 1.7976931348623157e308, 123456.789, -2.5, 1e16];
  const x = Array.from({ length: count }, (_, i) => (i % 20 === 19 ? (i * 7919) / 13 : (special[i % special.length] ?? 0)));
  const n = Array.from({ length: count }, (_, i) => BigInt(i % 3 === 0 ? -i : i * 1_000_003) * (i % 5 === 0 ? 9_007_199n : 1n));
  const label = Array.from({ length: count }, (_, i) => (i === boomAt ? 'boom' : ['plain', 'a, b', 'say "hi"', 'héllo wörld', ''][i % 5] ?? ''));
  const id = Array.from({ length: count }, (_, i) => `id-${i}`);
  return { x, n, label, id };
}

function csvText(r: ReturnType<typeof rows>): string {
  const q = (s: string): string => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = ['id,x,n,label'];
  for (let i = 0; i < r.x.length; i++) lines.push([r.id[i] ?? '', Object.is(r.x[i], -0) ? '-0' : String(r.x[i]), String(r.n[i]), q(r.label[i] ?? '')].join(','));
  return `${lines.join('\n')}\n`;
}

function parquetOf(file: string, r: ReturnType<typeof rows>): void {
  writeParquet(file, [
    { name: 'id', data: r.id, type: 'BYTE_ARRAY', converted: 'UTF8' },
    { name: 'x', data: Float64Array.from(r.x), type: 'DOUBLE' },
    { name: 'n', data: BigInt64Array.from(r.n), type: 'INT64' },
    { name: 'label', data: r.label, type: 'BYTE_ARRAY', converted: 'UTF8' },
  ], 300);
}

/** A ModelInferRequest written by hand from the rows (not through the extension's codec). */
function onlineRequest(model: string, r: ReturnType<typeof rows>): ModelInferRequest {
  const x = Buffer.from(Float64Array.from(r.x).buffer);
  const n = Buffer.from(BigInt64Array.from(r.n).buffer);
  const label = Buffer.concat(r.label.flatMap((s) => {
    const bytes = Buffer.from(s, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32LE(bytes.length);
    return [len, bytes];
  }));
  const shape = [r.x.length];
  return {
    model_name: model,
    parameters: toInferParameters({ content_type: 'pd' }),
    inputs: [
      { name: 'x', datatype: 'FP64', shape },
      { name: 'n', datatype: 'INT64', shape },
      { name: 'label', datatype: 'BYTES', shape },
    ],
    raw_input_contents: [x, n, label],
  };
}

/** The values the fixture computes, in IEEE arithmetic as numpy does it. */
function expected(r: ReturnType<typeof rows>, i: number): { y: number; n2: bigint; shout: string; ratio: number } {
  const x = r.x[i] ?? 0;
  const n = r.n[i] ?? 0n;
  return { y: x * 1.5 + Number(n) / 7, n2: n * 2n, shout: (r.label[i] ?? '').toUpperCase(), ratio: Math.fround(x / 3) };
}

/** The bytes of a fixed-width Arrow column (all chunks), as V2 raw contents would hold them. */
function columnBytes(table: arrow.Table, name: string): Buffer {
  const column = table.getChild(name);
  if (!column) throw new Error(`no column ${name}`);
  if (arrow.DataType.isUtf8(column.type)) {
    return Buffer.concat([...(column as Iterable<string>)].flatMap((s) => {
      const bytes = Buffer.from(s, 'utf8');
      const len = Buffer.alloc(4);
      len.writeUInt32LE(bytes.length);
      return [len, bytes];
    }));
  }
  const values = column.toArray() as Float64Array;
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
}

describe('batch prediction through the model image', function () {
  this.timeout(10 * 60_000);
  const cleanup = new Cleanup();
  let folder = '';
  let dataDir = '';
  let tag = '';
  let manifest: Manifest;
  let shared: ModelContainer | undefined;

  before(async function () {
    this.timeout(10 * 60_000);
    await requireBaseImage();
    const parent = cleanup.dir(await fs.mkdtemp(path.join(os.tmpdir(), 'pyml-it-batch-')));
    folder = path.join(parent, 'scorer');
    await fs.cp(FIXTURE, folder, { recursive: true });
    const name = `batch-scorer-${randomBytes(3).toString('hex')}`;
    const manifestFile = path.join(folder, 'pyml.yaml');
    await fs.writeFile(manifestFile, (await fs.readFile(manifestFile, 'utf8')).replace(/^name: .*$/m, `name: ${name}`));
    dataDir = path.join(parent, 'data');
    await fs.mkdir(dataDir);
    const engine = await testEngine();
    const prepared = await prepareBuild(folder, buildSettings);
    cleanup.image(prepared.tag);
    tag = (await buildImage(engine, prepared, buildSettings)).tag;
    manifest = await loadManifest(folder);
  });

  after(async () => {
    await shared?.stop(2).catch(() => undefined);
    await cleanup.run();
  });

  /**
   * The batch container most tests share (started on first use), with shared memory on and a threshold
   * of 0, so that every batch goes through it (the text columns too), as a run with
   * pyml.sharedMemory.thresholdMB 0 sends them; the online request below goes through gRPC bytes.
   */
  async function batchContainer(): Promise<ModelContainer> {
    shared ??= await startBatchContainer(await testEngine(), { folder, manifest, image: tag, settings: { ...runSettings, sharedMemory: { thresholdBytes: 0 } } });
    return shared;
  }

  async function run(input: InputSpec, output: string, options: { keys?: string[]; rowsPerBatch?: number; predictor?: Predictor; signal?: AbortSignal; onProgress?: Parameters<typeof runBatch>[0]['onProgress'] } = {}) {
    const source = await openSource(input);
    try {
      const plan = checkInput(manifest, source.fields, options.keys ?? []);
      const predictor = options.predictor ?? containerPredictor(await batchContainer(), 60_000);
      const format = (path.extname(output).slice(1) === 'arrow' ? 'arrow' : path.extname(output).slice(1)) as OutputFormat;
      return await runBatch({
        model: manifest, source, plan, predictor, output, format,
        rowsPerBatch: options.rowsPerBatch ?? 100,
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      });
    } finally {
      await source.close();
    }
  }

  async function dataFiles(): Promise<string[]> {
    return (await fs.readdir(dataDir)).sort();
  }

  /** A run (on this thread or in a batch thread) of an input file into an output file. */
  type RunFile = (input: string, output: string, options: { rowsPerBatch: number; signal?: AbortSignal; onProgress?: (p: BatchProgress) => void }) => Promise<unknown>;

  /** Row 24 raises in predict(): batch 3 fails, naming its rows, with the model's traceback; nothing is written. */
  async function expectRaisingBatch(runFile: RunFile, name: string): Promise<void> {
    const input = path.join(dataDir, `${name}.csv`);
    await fs.writeFile(input, csvText(rows(60, 24)));
    const before = await dataFiles();
    await assert.rejects(runFile(input, path.join(dataDir, `${name}.parquet`), { rowsPerBatch: 10 }), (e: Error) => {
      assert.ok(e instanceof BatchFailedError, String(e));
      assert.deepStrictEqual([e.batch, e.rowStart, e.rowEnd], [3, 20, 30]);
      assert.match(e.message, /^Batch 3 \(rows 21-30 of the input\) failed: ModelInfer: ValueError: cannot score the label 'boom' \(row 4 of this batch\) \(model\.py:13 in predict\)$/);
      assert.ok(e.cause instanceof V2Error && e.cause.report?.traceback.includes('Traceback'), 'the Python traceback comes along');
      return true;
    });
    assert.deepStrictEqual(await dataFiles(), before, 'no output and no temporary file');
  }

  /** Cancelled at the first progress report: BatchCancelledError after some rows; nothing is written. */
  async function expectCancelled(runFile: RunFile, name: string): Promise<void> {
    const input = path.join(dataDir, `${name}.csv`);
    await fs.writeFile(input, csvText(rows(20000)));
    const before = await dataFiles();
    const ctrl = new AbortController();
    let progressSeen = 0;
    await assert.rejects(
      runFile(input, path.join(dataDir, `${name}.parquet`), {
        rowsPerBatch: 500,
        signal: ctrl.signal,
        onProgress: (p) => {
          progressSeen = p.rowsDone;
          ctrl.abort();
        },
      }),
      (e: Error) => e instanceof BatchCancelledError,
    );
    assert.ok(progressSeen > 0 && progressSeen < 20000);
    assert.deepStrictEqual(await dataFiles(), before);
  }

  /** run() of a file, as a RunFile. */
  const runHere: RunFile = (input, output, options) => run({ kind: 'file', path: input }, output, options);

  it('the same rows predicted online (ModelInfer) and offline give identical outputs, bit for bit', async () => {
    const r = rows(1000);
    const input = path.join(dataDir, 'same.parquet');
    parquetOf(input, r);
    const output = path.join(dataDir, 'same.arrow');
    const result = await run({ kind: 'file', path: input }, output, { keys: ['id'], rowsPerBatch: 128 });
    assert.deepStrictEqual({ rows: result.rows, batches: result.batches }, { rows: 1000, batches: 8 });
    const channel = (await batchContainer()).client.sharedMemory;
    assert.ok(channel && channel.disabledReason === undefined, `the batches went through shared memory (${channel?.disabledReason ?? 'no channel'})`);
    assert.ok((await fs.readdir(channel.options.dir)).some((f) => f.startsWith('pyml-')), 'a region file of the batch is in the container\'s folder');
    const offline = arrow.tableFromIPC(await fs.readFile(output));
    assert.deepStrictEqual(offline.schema.fields.map((f) => f.name), ['id', 'y', 'n2', 'shout', 'ratio']);

    // Online: the model container Run Model starts, one request with every row, encoded by hand.
    const engine = await testEngine();
    const online = cleanup.container(await startModel(engine, { folder, manifest, image: tag, mode: 'run', settings: runSettings }));
    const response = await online.infer(onlineRequest(manifest.name, r), { deadlineMs: 60_000 });
    for (const name of ['y', 'n2', 'shout', 'ratio']) {
      const at = response.outputs.findIndex((o) => o.name === name);
      const raw = response.raw_output_contents[at];
      assert.ok(raw, `online output ${name}`);
      const off = columnBytes(offline, name);
      if (!Buffer.from(raw).equals(off)) {
        const on = Buffer.from(raw);
        let k = 0;
        while (k < on.length && on[k] === off[k]) k++;
        assert.fail(`output '${name}' differs between online and offline at byte ${k} of ${on.length}/${off.length}: ${on.subarray(k - (k % 4), k - (k % 4) + 8).toString('hex')} vs ${off.subarray(k - (k % 4), k - (k % 4) + 8).toString('hex')}`);
      }
    }
    assert.deepStrictEqual(byteStrings(Buffer.from(response.raw_output_contents[2] ?? Buffer.alloc(0))).slice(0, 5), ['PLAIN', 'A, B', 'SAY "HI"', 'HÉLLO WÖRLD', '']);
    // And both are what the model computes.
    for (const i of [0, 1, 2, 5, 6, 9, 999]) {
      const e = expected(r, i);
      assert.ok(Object.is(offline.getChild('y')?.get(i), e.y), `y[${i}]`);
      assert.strictEqual(offline.getChild('n2')?.get(i), e.n2);
      assert.strictEqual(offline.getChild('ratio')?.get(i), e.ratio);
      assert.strictEqual(offline.getChild('id')?.get(i), `id-${i}`);
    }
    await online.stop(2);
  });

  it('CSV -> Parquet, with a key column carried through', async () => {
    const r = rows(250);
    const input = path.join(dataDir, 'in.csv');
    await fs.writeFile(input, csvText(r));
    const output = path.join(dataDir, 'out.parquet');
    const result = await run({ kind: 'file', path: input }, output, { keys: ['id'], rowsPerBatch: 64 });
    assert.strictEqual(result.rows, 250);
    const back = await openSource({ kind: 'file', path: output });
    assert.deepStrictEqual(back.fields.map((f) => `${f.name}:${f.typeName}`), ['id:STRING (Parquet)', 'y:DOUBLE (Parquet)', 'n2:INT_64 (Parquet)', 'shout:STRING (Parquet)', 'ratio:FLOAT (Parquet)']);
    let i = 0;
    for await (const chunk of back.chunks([
      { name: 'id', type: new arrow.Utf8() },
      { name: 'y', type: new arrow.Float64() },
      { name: 'n2', type: new arrow.Int64() },
      { name: 'shout', type: new arrow.Utf8() },
      { name: 'ratio', type: new arrow.Float32() },
    ])) {
      for (let j = 0; j < chunk.rows; j++, i++) {
        const e = expected(r, i);
        assert.deepStrictEqual(chunk.columns.map((c) => c.get(j) as unknown), [`id-${i}`, e.y, e.n2, e.shout, e.ratio], `row ${i}`);
      }
    }
    await back.close();
    assert.strictEqual(i, 250);
  });

  it('SQL over Parquet -> CSV (DuckDB)', async function () {
    let duckdb;
    try {
      duckdb = loadDuckDb([REPO]);
    } catch (err) {
      if (err instanceof DuckDbMissingError) missingPrerequisite(this, `DuckDB is not installed (optional dependency): ${err.message}`);
      throw err;
    }
    const r = rows(300);
    parquetOf(path.join(dataDir, 'sql.parquet'), r);
    const output = path.join(dataDir, 'sql.csv');
    const query = "SELECT id, x, n, upper(label) = label AS same, label FROM 'sql.parquet' WHERE n % 2 = 0 ORDER BY id";
    const result = await run({ kind: 'sql', query, cwd: dataDir, duckdb: () => duckdb, threads: 1 }, output, { keys: ['id', 'same'], rowsPerBatch: 50 });
    const lines = (await fs.readFile(output, 'utf8')).trimEnd().split('\n');
    assert.strictEqual(lines[0], 'id,same,y,n2,shout,ratio');
    const picked = r.id.map((_, i) => i).filter((i) => (r.n[i] ?? 0n) % 2n === 0n).sort((a, b) => (`id-${a}` < `id-${b}` ? -1 : 1));
    assert.strictEqual(result.rows, picked.length);
    assert.strictEqual(lines.length - 1, picked.length);
    const first = picked[0] ?? 0;
    const cells = parseCsvLine(lines[1] ?? '');
    const e = expected(r, first);
    assert.strictEqual(cells[0], `id-${first}`);
    assert.strictEqual(Number(cells[2]), e.y);
    assert.strictEqual(BigInt(cells[3] ?? ''), e.n2);
    assert.strictEqual(cells[4], e.shout);
    assert.strictEqual(Math.fround(Number(cells[5])), e.ratio);
  });

  it('a schema mismatch is refused up front, naming the columns, before any row is sent', async () => {
    const input = path.join(dataDir, 'wrong.parquet');
    writeParquet(input, [
      { name: 'x', data: Float64Array.from([1, 2]), type: 'DOUBLE' },
      { name: 'n', data: Float64Array.from([1, 2]), type: 'DOUBLE' },
    ]);
    let sent = 0;
    const counting: Predictor = (request, signal) => {
      sent++;
      return containerPredictor(shared as ModelContainer, 10_000)(request, signal);
    };
    await assert.rejects(run({ kind: 'file', path: input }, path.join(dataDir, 'wrong.csv'), { keys: ['id'], predictor: counting }), (e: Error) => {
      assert.ok(e instanceof SchemaMismatchError, String(e));
      assert.deepStrictEqual(e.problems.map((p) => p.column), ['n', 'label', 'id']);
      assert.match(e.message, /'n': the input has DOUBLE \(Parquet\) \(float64\), the model declares int64 \(INT64\)/);
      assert.match(e.message, /'label': the model needs this input column/);
      return true;
    });
    assert.strictEqual(sent, 0);
    assert.ok(!(await dataFiles()).includes('wrong.csv'));
  });

  it('a model that raises on one batch stops the run with that batch\'s row range; nothing is written', async () => {
    await expectRaisingBatch(runHere, 'boom');
    const input = path.join(dataDir, 'boom.csv');
    // The container keeps serving.
    const ok = await run({ kind: 'file', path: input }, path.join(dataDir, 'after-boom.csv'), { rowsPerBatch: 20, keys: ['id'] }).catch((e: unknown) => e);
    assert.ok(ok instanceof BatchFailedError && ok.rowStart === 20);
  });

  it('cancel stops the run and leaves no output file', async () => {
    await expectCancelled(runHere, 'big');
  });

  it('`python3 -m pyml batch` inside the image gives the same values as the extension', async () => {
    const r = rows(120);
    await fs.writeFile(path.join(dataDir, 'cli-in.csv'), csvText(r));
    const fromExtension = path.join(dataDir, 'ext-out.csv');
    await run({ kind: 'file', path: path.join(dataDir, 'cli-in.csv') }, fromExtension, { keys: ['id'], rowsPerBatch: 50 });
    await fs.chmod(dataDir, 0o777); // the image runs as its own non-root user
    const { exitCode, output } = await runInImage(tag, dataDir, ['/opt/pyml/model', '--input', '/data/cli-in.csv', '--output', '/data/cli-out.csv', '--keys', 'id', '--rows-per-batch', '50']);
    assert.strictEqual(exitCode, 0, output);
    assert.match(output, /wrote 120 rows in 3 batches/);
    const a = (await fs.readFile(fromExtension, 'utf8')).trimEnd().split('\n').map(parseCsvLine);
    const b = (await fs.readFile(path.join(dataDir, 'cli-out.csv'), 'utf8')).trimEnd().split('\n').map(parseCsvLine);
    assert.deepStrictEqual(b[0], a[0]);
    assert.strictEqual(b.length, a.length);
    for (let i = 1; i < a.length; i++) {
      const [ai, bi] = [a[i] ?? [], b[i] ?? []];
      assert.strictEqual(bi[0], ai[0]);
      assert.ok(Object.is(Number(bi[1]), Number(ai[1])), `y row ${i}: ${bi[1]} vs ${ai[1]}`);
      assert.strictEqual(bi[2], ai[2]);
      assert.strictEqual(bi[3], ai[3]);
      assert.strictEqual(Math.fround(Number(bi[4])), Math.fround(Number(ai[4])));
    }
    // A failing batch: exit code 1 and the rows named.
    await fs.writeFile(path.join(dataDir, 'cli-boom.csv'), csvText(rows(30, 12)));
    const failed = await runInImage(tag, dataDir, ['/opt/pyml/model', '--input', '/data/cli-boom.csv', '--output', '/data/cli-boom.csv.out.csv', '--rows-per-batch', '10']);
    assert.strictEqual(failed.exitCode, 1, failed.output);
    assert.match(failed.output, /batch 2 \(rows 11-20 of the input\) failed: ValueError: cannot score the label 'boom'/);
    assert.ok(!(await dataFiles()).some((f) => f.startsWith('cli-boom.csv.out') || f.startsWith('.cli-boom')));
  });

  describe('in a batch thread (as the extension runs a file input: src/batch/thread)', () => {
    async function threadRun(input: string, output: string, options: { keys?: string[]; rowsPerBatch?: number; model?: ModelContainer; signal?: AbortSignal; onProgress?: (p: BatchProgress) => void } = {}) {
      const format = (path.extname(output).slice(1) === 'arrow' ? 'arrow' : path.extname(output).slice(1)) as OutputFormat;
      return runInContainerThread(
        options.model ?? (await batchContainer()),
        { input: { kind: 'file', path: input }, model: manifest, keys: options.keys ?? [], output, format, rowsPerBatch: options.rowsPerBatch ?? 100, requestTimeoutMs: 60_000 },
        { script: BATCH_THREAD_SCRIPT, ...(options.signal ? { signal: options.signal } : {}), ...(options.onProgress ? { onProgress: options.onProgress } : {}) },
      );
    }

    it('writes the same bytes as a run on this thread, through shared memory, and leaves no region of its own', async () => {
      const r = rows(3000);
      const input = path.join(dataDir, 'thread.parquet');
      parquetOf(input, r);
      const here = await run({ kind: 'file', path: input }, path.join(dataDir, 'thread-here.arrow'), { keys: ['id'], rowsPerBatch: 256 });
      const shmDir = (await batchContainer()).clientSpec.options.sharedMemory;
      assert.ok(shmDir, 'the batch container has a shared-memory folder');
      const regionsBefore = (await fs.readdir(shmDir.dir)).sort();
      const progress: number[] = [];
      const there = await threadRun(input, path.join(dataDir, 'thread-there.arrow'), { keys: ['id'], rowsPerBatch: 256, onProgress: (p) => progress.push(p.rowsDone) });
      assert.deepStrictEqual({ rows: there.rows, batches: there.batches }, { rows: here.rows, batches: here.batches });
      assert.deepStrictEqual([progress.length, progress.at(-1)], [12, 3000], 'one progress report a batch, in order');
      const a = await fs.readFile(path.join(dataDir, 'thread-here.arrow'));
      const b = await fs.readFile(path.join(dataDir, 'thread-there.arrow'));
      assert.ok(a.equals(b), 'the thread\'s output is the same file, bit for bit');
      assert.deepStrictEqual((await fs.readdir(shmDir.dir)).sort(), regionsBefore, 'the thread unregistered and removed its regions before it ended');
    });

    it('a model exception arrives as on this thread: BatchFailedError naming the rows, the V2Error with its traceback; nothing written', async () => {
      await expectRaisingBatch(threadRun, 'thread-boom');
    });

    it('a wrong input is refused with the InputError the reader gives, naming the file', async () => {
      const input = path.join(dataDir, 'thread-broken.parquet');
      await fs.writeFile(input, 'PAR1 this is not a Parquet file');
      await assert.rejects(threadRun(input, path.join(dataDir, 'thread-broken.csv')), (e: Error) => {
        assert.ok(e instanceof InputError, `${e.name}: ${e.message}`);
        assert.ok(e.message.includes('thread-broken.parquet'), e.message);
        return true;
      });
    });

    it('cancel ends the thread with BatchCancelledError and leaves no output file', async () => {
      await expectCancelled(threadRun, 'thread-big');
    });

    it('a container killed mid-run: the batch failed because the model container exited, with its log', async () => {
      const r = rows(20000);
      const input = path.join(dataDir, 'thread-kill.csv');
      await fs.writeFile(input, csvText(r));
      const before = await dataFiles();
      const own = cleanup.container(await startBatchContainer(await testEngine(), { folder, manifest, image: tag, settings: runSettings }));
      let killed = false;
      await assert.rejects(
        threadRun(input, path.join(dataDir, 'thread-kill.parquet'), {
          model: own,
          rowsPerBatch: 100,
          onProgress: () => {
            if (killed) return;
            killed = true;
            void own.container.kill().catch(() => undefined);
          },
        }),
        (e: Error) => {
          assert.ok(e instanceof BatchFailedError, `${e.name}: ${e.message}`);
          assert.ok(e.cause instanceof ContainerExitedError, `the cause is the exit, not a transport error: ${String(e.cause)}`);
          assert.match(e.message, /the model container exited/i);
          return true;
        },
      );
      assert.ok(killed);
      assert.deepStrictEqual(await dataFiles(), before, 'no output and no temporary file');
      await own.stop(2);
    });
  });


  // Last: after the thread's runs too.
  describe('at the end', () => {
    it('leaves no batch container behind', async () => {
      await shared?.stop(2);
      shared = undefined;
      const engine = await testEngine();
      await waitFor('the batch containers to be gone', async () => {
        const left = await engine.docker.listContainers({ all: true, filters: { label: [BATCH_LABEL, `${LABEL.folder}=${folder}`] } });
        return left.length === 0;
      });
    });
  });
});

/** Runs `python3 -m pyml batch ARGS` in the image: its own entrypoint, no network, the data folder at /data. */
async function runInImage(image: string, dataDir: string, args: string[]): Promise<{ exitCode: number; output: string }> {
  const engine = await testEngine();
  const container = await engine.docker.createContainer({
    Image: image,
    Cmd: ['batch', ...args],
    Labels: { [LABEL.folder]: dataDir },
    HostConfig: { Binds: [`${dataDir}:/data`], NetworkMode: 'none' },
  });
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    const logs = await container.logs({ stdout: true, stderr: true, follow: false });
    return { exitCode: StatusCode, output: demux(Buffer.from(logs)) };
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}

/** The text of Docker's multiplexed log stream (8-byte frame headers). */
function demux(buf: Buffer): string {
  const parts: Buffer[] = [];
  for (let at = 0; at + 8 <= buf.length; ) {
    const size = buf.readUInt32BE(at + 4);
    parts.push(buf.subarray(at + 8, at + 8 + size));
    at += 8 + size;
  }
  return Buffer.concat(parts).toString('utf8');
}

/** One CSV line (no line breaks inside fields in these tests). */
function parseCsvLine(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let value = '';
      let j = i + 1;
      for (;;) {
        const q = line.indexOf('"', j);
        if (line[q + 1] === '"') {
          value += line.slice(j, q + 1);
          j = q + 2;
        } else {
          value += line.slice(j, q);
          i = q + 2;
          break;
        }
      }
      out.push(value);
    } else {
      const end = line.indexOf(',', i);
      const stop = end < 0 ? line.length : end;
      out.push(line.slice(i, stop));
      i = stop + 1;
    }
  }
  return out;
}

/**
 * The batch command's pure pieces: how a run reads (rows, durations, rates), what is remembered per
 * model and how a damaged store is handled, where and in which format the output goes by default
 * (never inside the model folder), which follow-ups a host offers, and the table preview's first rows
 * of real CSV and Parquet files.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BatchMemory, CHOICES_KEY, parseRequest, type ChoiceStore } from '../../../src/batchUi/choices';
import { defaultFormat, defaultOutputDir, defaultOutputPath, isInside } from '../../../src/batchUi/defaults';
import { canRevealInOS, followUpsFor } from '../../../src/batchUi/followUps';
import { readPreview } from '../../../src/batchUi/previewData';
import { doneMessage, durationText, progressText, rateText, rowsText } from '../../../src/batchUi/wording';

class MemoryStore implements ChoiceStore {
  readonly values = new Map<string, unknown>();
  get(key: string): unknown {
    return this.values.get(key);
  }
  update(key: string, value: unknown): Thenable<void> {
    this.values.set(key, JSON.parse(JSON.stringify(value)) as unknown);
    return Promise.resolve();
  }
}

describe('batch UI: wording', () => {
  it('counts rows and says durations in units that read well', () => {
    assert.strictEqual(rowsText(1), '1 row');
    assert.strictEqual(rowsText(5), '5 rows');
    assert.strictEqual(rowsText(1234567), '1,234,567 rows');
    assert.strictEqual(durationText(0.2), '1 ms');
    assert.strictEqual(durationText(34), '34 ms');
    assert.strictEqual(durationText(999), '999 ms');
    assert.strictEqual(durationText(2449), '2.4 s');
    assert.strictEqual(durationText(24_400), '24 s');
    assert.strictEqual(durationText(64_000), '1 min 4 s');
    assert.strictEqual(durationText(120_000), '2 min');
    assert.strictEqual(durationText(3_900_000), '1 h 5 min');
  });

  it('gives a rate only when the run was big enough for one to mean something', () => {
    assert.strictEqual(rateText(5, 34), undefined, 'not "5 rows in 0.0 s (147 rows/s)"');
    assert.strictEqual(rateText(50_000, 300), undefined);
    assert.strictEqual(rateText(1_000_000, 54_945), '18,200 rows/s');
    assert.strictEqual(doneMessage({ rows: 5, output: 'batch-output/x.csv', totalMs: 9100, predictMs: 34 }), 'Wrote 5 rows to batch-output/x.csv in 9.1 s.');
    assert.strictEqual(
      doneMessage({ rows: 1_000_000, output: 'p.parquet', totalMs: 64_000, predictMs: 54_945 }),
      'Wrote 1,000,000 rows to p.parquet in 1 min 4 s (18,200 rows/s).',
    );
    assert.strictEqual(progressText({ rowsDone: 3, totalRows: 5, elapsedMs: 10 }), '3 of 5 rows');
    assert.strictEqual(progressText({ rowsDone: 20_000, elapsedMs: 2000 }), '20,000 rows · 10,000 rows/s');
  });
});

describe('batch UI: remembered choices per model', () => {
  it('remembers the last run of each model, newest first, and replaces a model\'s older run', async () => {
    const store = new MemoryStore();
    let now = 1000;
    const memory = new BatchMemory(store, () => now++);
    await memory.remember({ folder: '/w/a', input: { file: '/w/in.csv' }, output: '/w/batch-output/a.csv', keys: ['id'] });
    await memory.remember({ folder: '/w/b', input: { sql: "SELECT * FROM 'x.parquet'", cwd: '/w' }, output: '/w/b.parquet' });
    assert.deepStrictEqual(memory.last('/w/a'), { folder: '/w/a', input: { file: '/w/in.csv' }, output: '/w/batch-output/a.csv', keys: ['id'] });
    assert.strictEqual(memory.last()?.folder, '/w/b');
    await memory.remember({ folder: '/w/a', input: { file: '/w/other.csv' }, output: '/w/a2.csv', rowsPerBatch: 7 });
    assert.deepStrictEqual(memory.last(), { folder: '/w/a', input: { file: '/w/other.csv' }, output: '/w/a2.csv', rowsPerBatch: 7 });
    assert.strictEqual((store.get(CHOICES_KEY) as unknown[]).length, 2);
    assert.strictEqual(memory.last('/w/none'), undefined);
  });

  it('drops stored entries that are damaged or of another shape instead of trusting them', () => {
    const store = new MemoryStore();
    store.values.set(CHOICES_KEY, [
      { at: 5, request: { folder: '/w/a', input: { sql: '   ' }, output: '/o.csv' } },
      { at: 4, request: { folder: '/w/a', input: { file: '/in.csv' }, output: '/o.csv', keys: [1] } },
      { at: 3, request: { folder: '/w/a', input: { file: '/in.csv' }, output: '/o.csv', rowsPerBatch: 0 } },
      'garbage',
      { at: 2, request: { folder: '/w/a', input: { file: '/in.csv' }, output: '/ok.csv' } },
    ]);
    assert.deepStrictEqual(new BatchMemory(store).last('/w/a'), { folder: '/w/a', input: { file: '/in.csv' }, output: '/ok.csv' });
    store.values.set(CHOICES_KEY, { not: 'a list' });
    assert.strictEqual(new BatchMemory(store).last(), undefined);
    assert.strictEqual(parseRequest({ folder: '/f', input: {}, output: '/o.csv' }), undefined);
  });
});

describe('batch UI: default output place and format', () => {
  const folder = path.join('/w', 'models', 'churn');

  it('never puts the output inside the model folder (the build context)', () => {
    const base = { folder, modelName: 'churn', workspaceRoot: '/w' };
    assert.strictEqual(defaultOutputDir({ ...base, input: { file: '/w/data/in.csv' } }), '/w/data', 'beside an input outside the model');
    assert.strictEqual(defaultOutputDir({ ...base, input: { file: path.join(folder, 'samples', 'in.csv') } }), '/w/batch-output', 'an input inside the model: the workspace folder');
    assert.strictEqual(defaultOutputDir({ ...base, input: { sql: 'SELECT 1' } }), '/w/batch-output');
    assert.strictEqual(defaultOutputDir({ ...base, input: { sql: 'SELECT 1' }, rememberedDir: '/w/out' }), '/w/out', 'the last place wins');
    assert.strictEqual(defaultOutputDir({ ...base, input: { sql: 'SELECT 1' }, rememberedDir: path.join(folder, 'x') }), '/w/batch-output', 'unless it is in the model');
    assert.strictEqual(defaultOutputDir({ folder: '/w', modelName: 'm', workspaceRoot: '/w', input: { sql: 'SELECT 1' } }), '/batch-output', 'the model is the workspace: beside it');
    assert.strictEqual(defaultOutputPath({ ...base, input: { file: '/w/data/houses.csv' } }, 'csv'), '/w/data/houses.churn-predictions.csv');
    assert.strictEqual(defaultOutputPath({ ...base, input: { sql: 'SELECT 1' } }, 'parquet'), '/w/batch-output/churn-predictions.parquet');
    assert.ok(isInside('/w/a/b', '/w/a') && isInside('/w/a', '/w/a') && !isInside('/w/ab', '/w/a') && !isInside('/w/..a', '/w/a/'));
  });

  it('writes CSV for small inputs, keeps the last choice, Parquet for big ones', () => {
    assert.strictEqual(defaultFormat({ inputBytes: 120, inputFormat: 'csv' }), 'csv');
    assert.strictEqual(defaultFormat({ inputBytes: 120, inputFormat: 'parquet' }), 'csv');
    assert.strictEqual(defaultFormat({ totalRows: 5 }), 'csv');
    assert.strictEqual(defaultFormat({ inputBytes: 5e9, inputFormat: 'csv' }), 'parquet');
    assert.strictEqual(defaultFormat({ inputBytes: 5e9, inputFormat: 'arrow' }), 'arrow');
    assert.strictEqual(defaultFormat({}), 'parquet');
    assert.strictEqual(defaultFormat({ remembered: 'parquet', inputBytes: 10 }), 'parquet');
  });
});

describe('batch UI: follow-ups of a finished run', () => {
  it('offers revealFileInOS only in a local desktop window that has it', () => {
    const commands = ['revealFileInOS', 'revealInExplorer'];
    assert.strictEqual(canRevealInOS({ uiKind: 'web', remoteName: undefined, commands }), false, 'code-server / a browser');
    assert.strictEqual(canRevealInOS({ uiKind: 'desktop', remoteName: 'ssh-remote', commands }), false, 'a remote window');
    assert.strictEqual(canRevealInOS({ uiKind: 'desktop', remoteName: undefined, commands: [] }), false);
    assert.strictEqual(canRevealInOS({ uiKind: 'desktop', remoteName: undefined, commands }), true);
  });

  it('always offers Preview and Run Again; Open for CSV; a reveal that exists', () => {
    assert.deepStrictEqual(followUpsFor('csv', { inWorkspace: true, canRevealInOS: false }), ['preview', 'open', 'revealInExplorer', 'runAgain']);
    assert.deepStrictEqual(followUpsFor('parquet', { inWorkspace: false, canRevealInOS: false }), ['preview', 'runAgain']);
    assert.deepStrictEqual(followUpsFor('arrow', { inWorkspace: false, canRevealInOS: true }), ['preview', 'revealInOS', 'runAgain']);
  });
});

describe('batch UI: table preview data', () => {
  let dir = '';
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'batchux-preview-'));
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('shows every row of a small CSV, with its count', async () => {
    const file = path.join(dir, 'small.csv');
    fs.writeFileSync(file, 'id,y\na,1.5\nb,\nc,3\n');
    const t = await readPreview(file);
    assert.deepStrictEqual(t.columns.map((c) => c.name), ['id', 'y']);
    assert.deepStrictEqual(t.rows, [['a', '1.5'], ['b', ''], ['c', '3']]);
    assert.strictEqual(t.totalRows, 3);
    assert.strictEqual(t.more, false);
    assert.strictEqual(t.bytes, fs.statSync(file).size);
  });

  it('reads only the first rows of a long file and says there are more', async () => {
    const file = path.join(dir, 'long.csv');
    fs.writeFileSync(file, `n\n${Array.from({ length: 20_000 }, (_, i) => String(i)).join('\n')}\n`);
    const t = await readPreview(file, { maxRows: 100 });
    assert.strictEqual(t.rows.length, 100);
    assert.deepStrictEqual(t.rows[99], ['99']);
    assert.strictEqual(t.more, true);
    assert.strictEqual(t.totalRows, undefined, 'a CSV does not say its length up front');
    const known = await readPreview(file, { maxRows: 100, knownRows: 20_000 });
    assert.strictEqual(known.totalRows, 20_000);
  });

  it('reads a Parquet file with its types and its row count', async () => {
    const { parquetWriteBuffer } = await import('hyparquet-writer');
    const file = path.join(dir, 'p.parquet');
    fs.writeFileSync(file, Buffer.from(parquetWriteBuffer({ columnData: [
      { name: 'x', data: new Float64Array([0.5, 2]), type: 'DOUBLE' },
      { name: 'n', data: [5n, null], type: 'INT64' },
      { name: 'label', data: ['a', 'b'], type: 'STRING' },
    ] })));
    const t = await readPreview(file);
    assert.deepStrictEqual(t.columns.map((c) => c.name), ['x', 'n', 'label']);
    // Floats read as floats, as the panel shows them (2.0, not 2).
    assert.deepStrictEqual(t.rows, [['0.5', '5', 'a'], ['2.0', null, 'b']]);
    assert.strictEqual(t.totalRows, 2);
    assert.strictEqual(t.more, false);
  });
});

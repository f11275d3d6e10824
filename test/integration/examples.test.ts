/**
 * The example workspace `npm start` opens (examples/), as shipped: each model folder builds from the
 * generated Dockerfile against PYML_TEST_BASE_IMAGE with no network, runs, and answers every sample in
 * its samples/ folder with the sample's expected output; the churn model's SQL query runs as a batch
 * through the same image.
 */
import * as assert from 'assert';
import { randomBytes } from 'crypto';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { checkInput, containerPredictor, DuckDbMissingError, loadDuckDb, openSource, runBatch, startBatchContainer } from '../../src/batch';
import { buildImage, prepareBuild } from '../../src/container/imageBuild';
import { startModel } from '../../src/container/runContainer';
import { compareOutputs, parseSample } from '../../src/scaffold/sample';
import { missingPrerequisite } from '../prerequisite';
import { buildSettings, Cleanup, REPO, requireBaseImage, runSettings, testEngine } from './helpers';
import { responseOutputs, sampleRequest } from './sampleRequest';

const EXAMPLES = path.join(REPO, 'examples');

/** A copy of an example model folder whose manifest name is unique to this run. */
async function copyExample(cleanup: Cleanup, name: string): Promise<string> {
  const parent = cleanup.dir(await fs.mkdtemp(path.join(os.tmpdir(), 'pyml-example-')));
  const folder = path.join(parent, name);
  await fs.cp(path.join(EXAMPLES, name), folder, { recursive: true });
  const manifestFile = path.join(folder, 'pyml.yaml');
  const unique = `example-${name}-${randomBytes(3).toString('hex')}`;
  await fs.writeFile(manifestFile, (await fs.readFile(manifestFile, 'utf8')).replace(/^name: .*$/m, `name: ${unique}`));
  return folder;
}

describe('examples/: the workspace npm start opens (real Docker)', function () {
  this.timeout(10 * 60_000);
  const cleanup = new Cleanup();
  before(() => requireBaseImage());
  after(() => cleanup.run());

  for (const name of ['churn', 'digits']) {
    it(`${name}: builds with no network, runs, and answers every sample in samples/`, async () => {
      const engine = await testEngine();
      const folder = await copyExample(cleanup, name);
      const prepared = await prepareBuild(folder, buildSettings);
      cleanup.image(prepared.tag);
      const built = await buildImage(engine, prepared, buildSettings, { network: 'none' });
      const model = cleanup.container(
        await startModel(engine, { folder, manifest: prepared.manifest, image: built.tag, mode: 'run', settings: runSettings }),
      );
      const samples = (await fs.readdir(path.join(folder, 'samples'))).filter((f) => f.endsWith('.json')).sort();
      assert.ok(samples.length > 0, 'no sample shipped');
      for (const file of samples) {
        const sample = parseSample(await fs.readFile(path.join(folder, 'samples', file), 'utf8'));
        assert.ok(sample.expected, `${file} has no expected output`);
        const response = await model.infer(sampleRequest(prepared.manifest, sample), { deadlineMs: 60_000 });
        const actual = responseOutputs(response);
        assert.deepStrictEqual(compareOutputs(sample.expected, actual), [], `${file}: answer ${JSON.stringify(actual)}`);
      }
      await model.stop(2);
    });
  }

  it('churn: queries/churn-north-east.sql runs as a batch through the image, keys carried through', async function () {
    let duckdb: ReturnType<typeof loadDuckDb>;
    try {
      duckdb = loadDuckDb([REPO]);
    } catch (err) {
      if (err instanceof DuckDbMissingError) missingPrerequisite(this, `DuckDB is not installed (optional dependency): ${err.message}`);
      throw err;
    }
    const engine = await testEngine();
    const folder = await copyExample(cleanup, 'churn');
    const prepared = await prepareBuild(folder, buildSettings);
    cleanup.image(prepared.tag);
    const built = await buildImage(engine, prepared, buildSettings, { network: 'none' });
    const queryFile = path.join(EXAMPLES, 'queries', 'churn-north-east.sql');
    const source = await openSource({
      kind: 'sql', query: await fs.readFile(queryFile, 'utf8'), cwd: path.dirname(queryFile), duckdb: () => duckdb, threads: 1,
    });
    const output = path.join(path.dirname(folder), 'scores.csv');
    const container = cleanup.container(
      await startBatchContainer(engine, { folder, manifest: prepared.manifest, image: built.tag, settings: runSettings }),
    );
    try {
      const plan = checkInput(prepared.manifest, source.fields, ['customer_id', 'region']);
      const result = await runBatch({
        model: prepared.manifest, source, plan, predictor: containerPredictor(container, 60_000), output, format: 'csv', rowsPerBatch: 50,
      });
      const table = (await fs.readFile(path.join(EXAMPLES, 'tables', 'customers.csv'), 'utf8')).trimEnd().split('\n').slice(1);
      const wanted = table.filter((line) => /^C\d+,(north|east),/.test(line)).length;
      assert.ok(wanted > 0);
      assert.strictEqual(result.rows, wanted);
      const lines = (await fs.readFile(output, 'utf8')).trimEnd().split('\n');
      assert.strictEqual(lines[0], 'customer_id,region,churn_probability,risk');
      assert.strictEqual(lines.length - 1, wanted);
      for (const line of lines.slice(1)) assert.match(line, /^C\d{5},(north|east),0\.\d+(e-\d+)?,(low|medium|high)$/);
    } finally {
      await source.close();
      await container.stop(2);
    }
  });
});

/**
 * Batch prediction on a Dask cluster, against the real engine: a model rendered from the New Model
 * template (numpy, DataFrame) built from the generated Dockerfile; a local cluster of its image (a
 * scheduler and worker containers on an internal network, python3-distributed of the base image);
 * the driver in a container of the same image. The dataset equals, bit for bit, the one-machine
 * batch and the online ModelInfer answers; a worker killed mid-job loses no row and doubles none; a
 * worker of another image is refused; an address where nothing listens fails in under 10 s; a model
 * exception names its partition and rows; cancel removes the temporary output and the cluster.
 */
import * as assert from 'assert';
import { randomBytes } from 'crypto';
import { promises as fs } from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { containerPredictor, startBatchContainer } from '../../src/batch/container';
import { openSource } from '../../src/batch/readers';
import { checkInput, runBatch } from '../../src/batch/run';
import { ClusterCancelledError, ClusterError, PartitionFailedError } from '../../src/cluster/clusterErrors';
import { runDriver } from '../../src/cluster/driver';
import { runClusterJob, type ClusterProgress } from '../../src/cluster/job';
import { CLUSTER_LABEL, startLocalCluster, type LocalCluster } from '../../src/cluster/localCluster';
import { buildImage, prepareBuild } from '../../src/container/imageBuild';
import { startModel } from '../../src/container/runContainer';
import { loadManifest, type Manifest } from '../../src/model/manifest';
import type { ModelInferRequest } from '../../src/protocol/v2types';
import { toInferParameters } from '../../src/protocol/v2types';
import { renderTemplate } from '../../src/scaffold/render';
import { buildSettings, Cleanup, requireBaseImage, runSettings, testEngine, waitFor } from './helpers';

interface Built {
  folder: string;
  manifest: Manifest;
  tag: string;
}

/** Awkward but valid values: shortest-repr floats, tiny and huge magnitudes, negative zero. */
function value(i: number, column: number, datatype: string): string {
  if (datatype.startsWith('INT') || datatype.startsWith('UINT')) return String(((i * 7919 + column * 31) % 97) + 1);
  const special = ['54', '120.5', '0.1', '-0', '1e-300', '12345.678901234567', '3.3333333333333335', '88', '7e22', '2.5'];
  return i % 3 === 0 ? (special[(i + column) % special.length] ?? '1') : String(((i * 2654435761) % 100003) / 97 + column);
}

async function writeCsv(file: string, manifest: Manifest, rows: number, start = 0): Promise<void> {
  const lines = [['id', ...manifest.inputs.map((f) => f.name)].join(',')];
  for (let i = start; i < start + rows; i++) lines.push([`r${i}`, ...manifest.inputs.map((f, c) => value(i, c, f.datatype))].join(','));
  await fs.writeFile(file, `${lines.join('\n')}\n`);
}

/** The dataset's part files in partition order, their data lines after each header. */
async function datasetLines(folder: string): Promise<{ header: string; lines: string[]; parts: string[] }> {
  const parts = (await fs.readdir(folder)).filter((n) => n.startsWith('part-')).sort();
  let header = '';
  const lines: string[] = [];
  for (const part of parts) {
    const text = await fs.readFile(path.join(folder, part), 'utf8');
    const [head, ...rest] = text.split('\n').filter((l) => l !== '');
    header = head ?? '';
    lines.push(...rest);
  }
  return { header, lines, parts };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => {
        resolve(port);
      });
    });
    server.on('error', reject);
  });
}

describe('batch prediction on a local Dask cluster (real Docker, python3-distributed)', function () {
  this.timeout(900_000);
  const cleanup = new Cleanup();
  let workspace: string;
  let model: Built;
  let other: Built;

  async function build(name: string, edit?: (modelPy: string) => string): Promise<Built> {
    const folder = path.join(workspace, name);
    for (const f of renderTemplate('dataframe', 'numpy', name)) {
      await fs.mkdir(path.dirname(path.join(folder, f.path)), { recursive: true });
      await fs.writeFile(path.join(folder, f.path), f.contents);
    }
    if (edit) await fs.writeFile(path.join(folder, 'model.py'), edit(await fs.readFile(path.join(folder, 'model.py'), 'utf8')));
    const engine = await testEngine();
    const prepared = await prepareBuild(folder, buildSettings);
    cleanup.image(prepared.tag);
    const built = await buildImage(engine, prepared, buildSettings, { network: 'none' });
    return { folder, manifest: await loadManifest(folder), tag: built.tag };
  }

  before(async () => {
    await requireBaseImage();
    workspace = cleanup.dir(await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'cluster-it-'))));
    const unique = randomBytes(3).toString('hex');
    model = await build(`cluster-houses-${unique}`);
    // Another model: same template, its own name, and it raises on rooms == 13 (or area_m2 == 13).
    other = await build(`cluster-other-${unique}`, (text) =>
      text.replace(/( {4}def predict\(self, df: pd\.DataFrame\) -> pd\.DataFrame:\n)/, `$1        if (df.iloc[:, 0] == 13).any():\n            raise ValueError("unlucky 13 in the input")\n`),
    );
  });

  after(async () => {
    const engine = await testEngine();
    const left = await engine.docker.listContainers({ all: true, filters: { label: [CLUSTER_LABEL] } });
    for (const c of left) if ((c.Labels[CLUSTER_LABEL] ?? '').startsWith('cluster-')) await engine.docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    await cleanup.run();
  });

  it('a 2-worker local cluster predicts a 10-partition CSV: the dataset equals the one-machine batch and ModelInfer, bit for bit', async () => {
    const engine = await testEngine();
    // 10 partitions of 300 rows, 100 rows a request everywhere: the same rows meet in the same
    // request on every path (numpy's BLAS may round a row differently in a batch of another size).
    const input = path.join(workspace, 'houses.csv');
    await writeCsv(input, model.manifest, 3000);
    const parts = path.join(workspace, 'houses');
    await fs.mkdir(parts);
    const all = (await fs.readFile(input, 'utf8')).split('\n').filter((l) => l !== '');
    for (let p = 0; p < 10; p++) await fs.writeFile(path.join(parts, `houses-${p}.csv`), `${[all[0], ...all.slice(1 + p * 300, 1 + (p + 1) * 300)].join('\n')}\n`);
    const output = path.join(workspace, 'houses-predicted');
    const seen: ClusterProgress[] = [];
    const result = await runClusterJob(engine, {
      where: { kind: 'local', workers: 2, threadsPerWorker: 1 },
      image: model.tag,
      job: { inputs: [parts], output, keys: ['id'], rowsPerBatch: 100 },
      shared: [workspace],
      prefix: 'cluster',
      onProgress: (p) => seen.push(p),
    });
    assert.strictEqual(result.rows, 3000);
    assert.strictEqual(result.partitions, 10);
    const success = JSON.parse(await fs.readFile(path.join(output, '_SUCCESS'), 'utf8')) as { rows: number; partitions: { rows: number }[]; image: string; workers: number };
    assert.strictEqual(success.rows, 3000);
    assert.strictEqual(success.partitions.length, 10);
    assert.strictEqual(success.workers, 2);
    assert.match(success.image, /^sha256:[0-9a-f]{64}$/);
    assert.strictEqual((await engine.docker.getImage(model.tag).inspect()).Id, success.image);
    assert.ok(seen.some((p) => p.partitionsTotal === 10 && p.partitionsDone === 10 && p.workers === 2), `progress: ${JSON.stringify(seen.at(-1))}`);
    const dataset = await datasetLines(output);
    assert.strictEqual(dataset.parts.length, 10);
    assert.strictEqual(dataset.header, ['id', ...model.manifest.outputs.map((f) => f.name)].join(','));
    assert.deepStrictEqual((await fs.readdir(workspace)).filter((n) => n.startsWith('.')), [], 'no temporary folder left');

    // One machine: today's batch path (the extension's reader and writer, one batch container).
    const oneMachine = path.join(workspace, 'houses-one-machine.csv');
    const container = cleanup.container(await startBatchContainer(engine, { folder: model.folder, manifest: model.manifest, image: model.tag, settings: runSettings }));
    const source = await openSource({ kind: 'file', path: input });
    try {
      const plan = checkInput(model.manifest, source.fields, ['id']);
      await runBatch({ model: model.manifest, source, plan, predictor: containerPredictor(container, 60_000), output: oneMachine, format: 'csv', rowsPerBatch: 100 });
    } finally {
      await source.close();
    }
    await container.stop(2);
    const single = (await fs.readFile(oneMachine, 'utf8')).split('\n').filter((l) => l !== '');
    assert.strictEqual(single[0], dataset.header);
    assert.strictEqual(dataset.lines.length, single.length - 1);
    const differs = dataset.lines.findIndex((l, i) => l !== single[i + 1]);
    assert.strictEqual(differs, -1, `the cluster dataset and the one-machine batch differ at data row ${differs + 1}: ${dataset.lines[differs]} vs ${single[differs + 1]}`);

    // Online: ModelInfer on a Run Model container, every row in one request, raw FP64 out.
    const online = cleanup.container(await startModel(engine, { folder: model.folder, manifest: model.manifest, image: model.tag, mode: 'run', settings: runSettings }));
    const rows = all.slice(1).map((l) => l.split(','));
    const raws: Buffer[] = [];
    for (let start = 0; start < rows.length; start += 100) raws.push(await inferRaw(online, rows.slice(start, start + 100)));
    const raw = Buffer.concat(raws);
    const fromDataset = Buffer.alloc(rows.length * 8);
    dataset.lines.forEach((l, i) => fromDataset.writeDoubleLE(Number(l.split(',').at(-1)), i * 8));
    assert.ok(raw.equals(fromDataset), 'the cluster dataset and the online ModelInfer answers differ');
    assert.deepStrictEqual(dataset.lines.map((l) => l.split(',')[0]), rows.map((r) => r[0]));
    await online.stop(2);
  });

  async function inferRaw(online: Awaited<ReturnType<typeof startModel>>, rows: string[][]): Promise<Buffer> {
    const request: ModelInferRequest = {
      model_name: model.manifest.name,
      parameters: toInferParameters({ content_type: 'pd' }),
      inputs: model.manifest.inputs.map((f) => ({ name: f.name, datatype: f.datatype, shape: [rows.length], parameters: {} })),
      raw_input_contents: model.manifest.inputs.map((f, c) => {
        const buf = Buffer.alloc(rows.length * 8);
        rows.forEach((r, i) => {
          if (f.datatype === 'INT64') buf.writeBigInt64LE(BigInt(r[c + 1] ?? '0'), i * 8);
          else buf.writeDoubleLE(Number(r[c + 1]), i * 8);
        });
        return buf;
      }),
    };
    const response = await online.infer(request, { deadlineMs: 120_000 });
    const out = model.manifest.outputs[0];
    assert.ok(out && out.datatype === 'FP64', 'the template answers one FP64 column');
    const at = response.outputs.findIndex((o) => o.name === out.name);
    return Buffer.from(response.raw_output_contents[at] ?? new Uint8Array());
  }

  it('a worker killed mid-job: Dask reruns its partitions and the dataset holds every row exactly once', async () => {
    const engine = await testEngine();
    const folder = path.join(workspace, 'many');
    await fs.mkdir(folder);
    for (let f = 0; f < 4; f++) await writeCsv(path.join(folder, `rows-${f}.csv`), model.manifest, 25_000, f * 25_000);
    const output = path.join(workspace, 'many-predicted');
    let cluster: LocalCluster | undefined;
    let killed = false;
    let workersAfterKill = Infinity;
    const result = await runClusterJob(engine, {
      where: { kind: 'local', workers: 2, threadsPerWorker: 1 },
      image: model.tag,
      job: { inputs: [folder], output, keys: ['id'], partitions: 10, rowsPerBatch: 200 },
      shared: [workspace],
      prefix: 'cluster',
      onCluster: (c) => {
        cluster = c;
      },
      onProgress: (p) => {
        if (!killed && cluster && p.partitionsDone >= 2 && p.partitionsTotal !== undefined && p.partitionsDone < p.partitionsTotal - 8) {
          killed = true;
          void cluster.workers[0]?.kill().catch(() => undefined);
        }
        if (killed) workersAfterKill = Math.min(workersAfterKill, p.workers ?? Infinity);
      },
    });
    assert.ok(killed, 'the job ended before a worker could be killed');
    assert.strictEqual(workersAfterKill, 1, 'the scheduler never saw the worker go');
    assert.strictEqual(result.rows, 100_000);
    const dataset = await datasetLines(output);
    assert.strictEqual(dataset.parts.length, 40);
    const ids = dataset.lines.map((l) => l.split(',')[0]);
    assert.strictEqual(ids.length, 100_000);
    assert.strictEqual(new Set(ids).size, 100_000, 'a row was written twice');
    assert.deepStrictEqual(ids, Array.from({ length: 100_000 }, (_, i) => `r${i}`));
  });

  it('a worker from a different image is refused, naming it and both digests; no partition is sent', async () => {
    const engine = await testEngine();
    const input = path.join(workspace, 'small.csv');
    await writeCsv(input, model.manifest, 50);
    const cluster = await startLocalCluster(engine, { image: model.tag, workers: 1, threadsPerWorker: 1, shared: [workspace], prefix: 'cluster' });
    try {
      const otherId = (await engine.docker.getImage(other.tag).inspect()).Id;
      const foreign = await cluster.addWorker(other.tag, otherId);
      const foreignName = ((await foreign.inspect()).Name).replace(/^\//, '');
      const output = path.join(workspace, 'refused');
      await assert.rejects(
        runDriver(engine, {
          job: { scheduler: cluster.address, inputs: [input], output, minWorkers: 2, waitWorkersSeconds: 180 },
          container: cluster.containerBase(`${cluster.id}-driver`, 'driver'),
        }),
        (err: unknown) => {
          assert.ok(err instanceof ClusterError, String(err));
          assert.match(err.message, /refused/);
          assert.ok(err.message.includes(foreignName), err.message);
          assert.ok(err.message.includes(otherId), err.message);
          assert.ok(err.message.includes(cluster.imageId), err.message);
          assert.ok(err.message.includes(other.manifest.name), err.message);
          return true;
        },
      );
      await assert.rejects(fs.stat(output));
    } finally {
      await cluster.stop();
    }
  });

  it('a scheduler address with nothing listening: a clear error in under 10 s (the probe and the driver alike)', async () => {
    const engine = await testEngine();
    const port = await freePort();
    const input = path.join(workspace, 'small.csv');
    const started = Date.now();
    await assert.rejects(
      runClusterJob(engine, { where: { kind: 'existing', address: `tcp://127.0.0.1:${port}` }, image: model.tag, job: { inputs: [input], output: path.join(workspace, 'nowhere') }, shared: [workspace], prefix: 'cluster' }),
      (err: unknown) => err instanceof ClusterError && err.message.includes(`tcp://127.0.0.1:${port}`) && /nothing is listening/.test(err.message),
    );
    assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);

    // The driver's own connect timeout, without the probe in front (a port that opens late, a firewall).
    const imageId = (await engine.docker.getImage(model.tag).inspect()).Id;
    const driverStarted = Date.now();
    await assert.rejects(
      runDriver(engine, {
        job: { scheduler: `tcp://127.0.0.1:${port}`, inputs: [input], output: path.join(workspace, 'nowhere') },
        container: { name: 'cluster-it-driver', Image: model.tag, Entrypoint: ['python3'], User: `${process.getuid?.() ?? 0}:${process.getgid?.() ?? 0}`, Env: ['HOME=/tmp', `PYML_IMAGE_DIGEST=${imageId}`], HostConfig: { NetworkMode: 'host', Binds: [`${workspace}:${workspace}`] } },
      }),
      (err: unknown) => err instanceof ClusterError && /cannot reach the Dask scheduler at tcp:\/\/127\.0\.0\.1/.test(err.message),
    );
    assert.ok(Date.now() - driverStarted < 10_000, `the driver took ${Date.now() - driverStarted} ms`);
  });

  it('a model exception stops the job naming the partition, its rows and the traceback in model.py; nothing is written', async () => {
    const engine = await testEngine();
    const input = path.join(workspace, 'unlucky.csv');
    await writeCsv(input, other.manifest, 400);
    const text = (await fs.readFile(input, 'utf8')).split('\n');
    text[301] = text[301]?.replace(/^(r300),[^,]*/, '$1,13') ?? '';
    await fs.writeFile(input, text.join('\n'));
    const output = path.join(workspace, 'unlucky-predicted');
    await assert.rejects(
      runClusterJob(engine, {
        where: { kind: 'local', workers: 1, threadsPerWorker: 1 },
        image: other.tag,
        job: { inputs: [input], output, keys: ['id'], partitions: 4, rowsPerBatch: 50 },
        shared: [workspace],
        prefix: 'cluster',
      }),
      (err: unknown) => {
        assert.ok(err instanceof PartitionFailedError, String(err));
        assert.match(err.message, new RegExp(`^partition ${err.partition} \\(unlucky\\.csv bytes \\d+-(\\d+|end)\\), rows \\d+-\\d+ of the partition: .*unlucky 13`));
        const report = err.cause.report;
        assert.ok(report, 'no report');
        assert.ok(report.frames.some((f) => f.file === 'model.py' && f.line > 0), JSON.stringify(report.frames));
        return true;
      },
    );
    await assert.rejects(fs.stat(output));
    assert.deepStrictEqual((await fs.readdir(workspace)).filter((n) => n.startsWith('.unlucky')), []);
  });

  it('cancel: tasks cancelled, the temporary output removed, the local cluster stopped', async () => {
    const engine = await testEngine();
    const output = path.join(workspace, 'cancelled');
    const abort = new AbortController();
    let id = '';
    await assert.rejects(
      runClusterJob(engine, {
        where: { kind: 'local', workers: 1, threadsPerWorker: 1 },
        image: model.tag,
        job: { inputs: [path.join(workspace, 'many')], output, keys: ['id'], partitions: 10, rowsPerBatch: 100 },
        shared: [workspace],
        prefix: 'cluster',
        onCluster: (c) => {
          id = c.id;
        },
        onProgress: (p) => {
          if (p.partitionsDone >= 1) abort.abort();
        },
        signal: abort.signal,
      }),
      (err: unknown) => err instanceof ClusterCancelledError,
    );
    await assert.rejects(fs.stat(output));
    assert.deepStrictEqual((await fs.readdir(workspace)).filter((n) => n.startsWith('.cancelled')), []);
    await waitFor('the cluster containers to go', async () => (await engine.docker.listContainers({ all: true, filters: { label: [`${CLUSTER_LABEL}=${id}`] } })).length === 0, 30_000);
    assert.strictEqual((await engine.docker.listNetworks({ filters: { label: [`${CLUSTER_LABEL}=${id}`] } })).length, 0);
  });
});

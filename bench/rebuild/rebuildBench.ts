/**
 * Rebuild benchmark (real engine, base image PYML_TEST_BASE_IMAGE): a model with a large data/
 * (500 MB of random bytes by default, `--data-mb N`), printed as JSON on stdout (and written to
 * `--json PATH`), with the machine's core count and load average.
 *
 *   first build:   a new model folder (the data image is built: the data sent and copied once)
 *   rebuild:       after a one-line model.py edit (the code alone sent and copied), `--runs` times
 *   one-context:   the same edit built the way it was before the data had an image of its own (the
 *                  whole Dockerfile, the whole folder as the context): the baseline of the same run
 *
 * Targets (issue 15): rebuild <= 0.1x the first build, and under 1.5 s.
 *
 * Run: npx tsc -p test/tsconfig.json && node out/bench/rebuild/rebuildBench.js [--runs N] [--data-mb N] [--json PATH]
 */
import { randomBytes } from 'crypto';
import { createWriteStream, promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { contextFiles, packContext } from '../../src/container/buildContext';
import { buildImage, prepareBuild } from '../../src/container/imageBuild';
import { JsonMessageSplitter } from '../../src/container/buildLog';
import { BASE_IMAGE, buildSettings, Cleanup, copyFixture, requireBaseImage, testEngine } from '../../test/integration/helpers';
import type { Engine } from '../../src/container/engine';

const TARGET_RATIO = 0.1;
const BUDGET_MS = 1500;

const MODEL = (edit: number): string => `import pandas as pd
from pyml import DataFrameModel


class IdentityModel(DataFrameModel):
    def __init__(self) -> None:
        self.weights = self.data_path("weights.bin")

    def predict(self, df: pd.DataFrame) -> pd.DataFrame:
        return df.copy()  # edit ${edit}
`;

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
}

const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;
const load = (): number[] => os.loadavg().map((x) => round(x, 2));

async function time<T>(work: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const value = await work();
  return [performance.now() - t0, value];
}

async function writeRandom(file: string, megabytes: number): Promise<void> {
  const out = createWriteStream(file);
  for (let i = 0; i < megabytes; i++) {
    if (!out.write(randomBytes(1024 * 1024))) {
      await new Promise<void>((resolve) => {
        out.once('drain', () => {
          resolve();
        });
      });
    }
  }
  await new Promise<void>((resolve, reject) => {
    out.once('error', reject);
    out.end(() => {
      resolve();
    });
  });
}

/** The build as it was before the data image: the whole Dockerfile with the whole folder as the context. */
async function oneContextBuild(engine: Engine, folder: string, tag: string): Promise<void> {
  const prepared = await prepareBuild(folder, buildSettings);
  const files = await contextFiles({ dockerfile: prepared.dockerfile.text, modelFolder: folder, runtimeDir: buildSettings.runtimeDir, stage: 'whole' });
  const response = await engine.docker.buildImage(packContext(files), { t: tag, rm: true, forcerm: true, version: '1', networkmode: 'none' });
  const splitter = new JsonMessageSplitter();
  let error: string | undefined;
  for await (const chunk of response as AsyncIterable<Buffer>) for (const m of splitter.push(chunk)) error ??= m.error;
  if (error) throw new Error(`the one-context build failed: ${error}`);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const arg = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
  const runs = Number(arg('--runs')) || 3;
  const dataMB = Number(arg('--data-mb')) || 500;
  const jsonOut = arg('--json');
  await requireBaseImage();
  const engine = await testEngine();
  const cleanup = new Cleanup();
  const loadAtStart = load();
  try {
    const { folder, name } = await copyFixture('identity-df', cleanup);
    const modelFile = path.join(folder, 'model.py');
    await fs.mkdir(path.join(folder, 'data'));
    await writeRandom(path.join(folder, 'data', 'weights.bin'), dataMB);
    await fs.writeFile(modelFile, MODEL(0));
    console.error(`model ${name}: ${dataMB} MB in data/; load average ${loadAtStart.join(' ')} on ${os.cpus().length} cores`);

    const [firstMs, first] = await time(async () => buildImage(engine, await prepareBuild(folder, buildSettings), buildSettings, { network: 'none' }));
    cleanup.image(first.tag);
    console.error(`first build: ${round(firstMs)} ms (data image ${first.dataImage?.tag ?? 'none'})`);
    const rebuild: number[] = [];
    for (let i = 1; i <= runs; i++) {
      await fs.writeFile(modelFile, MODEL(i)); // a one-line edit
      const [ms, result] = await time(async () => buildImage(engine, await prepareBuild(folder, buildSettings), buildSettings, { network: 'none' }));
      if (result.dataImage?.built !== false) throw new Error('the rebuild built the data image again');
      console.error(`rebuild ${i}: ${round(ms)} ms`);
      rebuild.push(ms);
    }
    await fs.writeFile(modelFile, MODEL(runs + 1));
    const baselineTag = `pyml-bench/build-one-context-${name}:latest`;
    cleanup.image(baselineTag);
    await oneContextBuild(engine, folder, baselineTag); // its data layer, once, as the first build made it
    await fs.writeFile(modelFile, MODEL(runs + 2));
    const [oneContextMs] = await time(() => oneContextBuild(engine, folder, baselineTag));
    console.error(`one-context rebuild (the baseline): ${round(oneContextMs)} ms`);

    const rebuildMs = median(rebuild);
    const result = {
      bench: 'rebuild',
      machine: { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, engine: engine.serverVersion, baseImage: BASE_IMAGE },
      loadAverageAtStart: loadAtStart,
      loadAverageAtEnd: load(),
      cores: os.cpus().length,
      dataMB,
      firstBuildMs: round(firstMs),
      rebuildAfterModelEditMs: rebuild.map((x) => round(x)),
      rebuildMedianMs: round(rebuildMs),
      oneContextRebuildMs: round(oneContextMs),
      ratioRebuildToFirstBuild: round(rebuildMs / firstMs, 3),
      targetRatio: TARGET_RATIO,
      budgetMs: BUDGET_MS,
      ratioRebuildToOneContextRebuild: round(rebuildMs / oneContextMs, 3),
      withinTarget: rebuildMs / firstMs <= TARGET_RATIO && rebuildMs < BUDGET_MS,
    };
    const text = JSON.stringify(result, null, 2);
    console.log(text);
    if (jsonOut) await fs.writeFile(jsonOut, text + '\n');
  } finally {
    await cleanup.run();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});

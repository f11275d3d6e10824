/**
 * Container benchmark (real engine, base image PYML_TEST_BASE_IMAGE), printed as JSON on stdout
 * (and written to `--json PATH` when given). Each figure comes with its baseline from the same run:
 *
 *   build:   rebuild after a model.py edit  vs  a full build without cache   (ratio, lower is better)
 *   devMode: save → reloaded model answering vs  restarting the container    (ratio), and vs the
 *            1.5 s budget for a model that loads instantly
 *
 * Run: npx tsc -p test/tsconfig.json && node out/bench/container/containerBench.js [--runs N] [--json PATH]
 */
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildImage, prepareBuild } from '../../src/container/imageBuild';
import type { ModelContainer } from '../../src/container/modelContainer';
import { startModel } from '../../src/container/runContainer';
import { BASE_IMAGE, buildSettings, Cleanup, copyFixture, predictX, requireBaseImage, runSettings, testEngine } from '../../test/integration/helpers';

const DEV_BUDGET_MS = 1500;

const MODEL = (factor: number): string => `import pandas as pd
from pyml import DataFrameModel


class IdentityModel(DataFrameModel):
    def __init__(self) -> None:
        self.factor = ${factor.toFixed(1)}

    def predict(self, df: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({"x": df["x"] * self.factor, "label": df["label"]})
`;

interface Stats {
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly samplesMs: readonly number[];
}

function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
  const round = (x: number): number => Math.round(x * 10) / 10;
  return { medianMs: round(median), minMs: round(s[0] ?? NaN), maxMs: round(s[s.length - 1] ?? NaN), samplesMs: samples.map(round) };
}

async function time<T>(work: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const value = await work();
  return [performance.now() - t0, value];
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const runs = Number(args[args.indexOf('--runs') + 1] ?? '') || 3;
  const devRuns = Math.max(5, runs * 3);
  const jsonOut = args.includes('--json') ? args[args.indexOf('--json') + 1] : undefined;
  await requireBaseImage();
  const engine = await testEngine();
  const cleanup = new Cleanup();
  try {
    const { folder, name } = await copyFixture('identity-df', cleanup);
    const modelFile = path.join(folder, 'model.py');

    // Build: full (no cache) vs rebuild after a model.py edit.
    const full: number[] = [];
    const rebuild: number[] = [];
    let cached = '';
    for (let i = 0; i < runs; i++) {
      await fs.writeFile(modelFile, MODEL(1 + i));
      const prepared = await prepareBuild(folder, buildSettings);
      cleanup.image(prepared.tag);
      full.push((await time(() => buildImage(engine, prepared, buildSettings, { network: 'none', noCache: true })))[0]);
      await fs.appendFile(modelFile, `\n# edit ${i}\n`);
      const [ms, result] = await time(async () => buildImage(engine, await prepareBuild(folder, buildSettings), buildSettings, { network: 'none' }));
      rebuild.push(ms);
      cached = `${result.cachedSteps.length} of ${result.steps.length}`;
    }

    // Dev mode: save → the next answer comes from the new code, vs restarting the container.
    await fs.writeFile(modelFile, MODEL(1));
    const prepared = await prepareBuild(folder, buildSettings);
    const start = (): Promise<ModelContainer> => startModel(engine, { folder, manifest: prepared.manifest, image: prepared.tag, mode: 'dev', settings: runSettings });
    let model = cleanup.container(await start());
    await predictX(model, [1]); // warm the channel
    const reload: number[] = [];
    for (let i = 0; i < devRuns; i++) {
      const factor = 2 + i;
      const [ms] = await time(async () => {
        await fs.writeFile(modelFile, MODEL(factor)); // the save
        await model.reload();
        const [x] = await predictX(model, [1]);
        if (x !== factor) throw new Error(`after the reload the model answered ${String(x)}, expected ${factor}`);
      });
      reload.push(ms);
    }
    const restart: number[] = [];
    for (let i = 0; i < runs; i++) {
      const factor = 100 + i;
      const [ms] = await time(async () => {
        await fs.writeFile(modelFile, MODEL(factor));
        await model.stop(5);
        model = cleanup.container(await start());
        const [x] = await predictX(model, [1]);
        if (x !== factor) throw new Error(`after the restart the model answered ${String(x)}, expected ${factor}`);
      });
      restart.push(ms);
    }

    const fullStats = stats(full);
    const rebuildStats = stats(rebuild);
    const reloadStats = stats(reload);
    const restartStats = stats(restart);
    const cpus = os.cpus();
    const result = {
      bench: 'container',
      machine: { cpu: cpus[0]?.model ?? 'unknown', cores: cpus.length, engine: engine.serverVersion, baseImage: BASE_IMAGE, loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100) },
      model: name,
      build: {
        fullNoCache: fullStats,
        rebuildAfterModelEdit: rebuildStats,
        rebuildCachedSteps: cached,
        ratioRebuildToFull: Math.round((rebuildStats.medianMs / fullStats.medianMs) * 1000) / 1000,
      },
      devMode: {
        saveToAnswer: reloadStats,
        containerRestartToAnswer: restartStats,
        ratioReloadToRestart: Math.round((reloadStats.medianMs / restartStats.medianMs) * 1000) / 1000,
        budgetMs: DEV_BUDGET_MS,
        ratioToBudget: Math.round((reloadStats.medianMs / DEV_BUDGET_MS) * 1000) / 1000,
        withinBudget: reloadStats.medianMs <= DEV_BUDGET_MS,
      },
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

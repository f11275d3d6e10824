/**
 * Debug benchmark (real engine, base image PYML_TEST_BASE_IMAGE), printed as JSON on stdout (and
 * written to `--json PATH` when given):
 *
 *   debugReady: what "PyML: Debug Model" does with a cached image, until the session is ready to
 *               stop on a breakpoint: model image (cache) -> debug image (cache) -> container with
 *               debugpy -> relay socket -> DAP initialize/attach/setBreakpoints/configurationDone
 *               answered -> model ready
 *   baseline:   "Run Model in Dev Mode" with the same cached image, until the model is ready
 *   ratio:      debugReady / baseline (lower is better; 1.0 = debugging costs nothing extra)
 *
 * Run: npx tsc -p test/tsconfig.json && node out/bench/debug/debugBench.js [--runs N] [--json PATH]
 */
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildImage, prepareBuild } from '../../src/container/imageBuild';
import type { ModelContainer } from '../../src/container/modelContainer';
import { startModel } from '../../src/container/runContainer';
import { attachArguments, defaultConfiguration } from '../../src/debug/debugConfiguration';
import { waitForDebugger } from '../../src/debug/endpoint';
import { buildDebugImage } from '../../src/debug/image';
import { addDebugger, debugEndpoint } from '../../src/debug/spec';
import { DapClient } from '../../test/integration/dap';
import { DEBUG_MODEL, PREDICT_LINE } from '../../test/integration/debugModel';
import { BASE_IMAGE, buildSettings, Cleanup, copyFixture, requireBaseImage, runSettings, RUNTIME_DIR, testEngine } from '../../test/integration/helpers';

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

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const runs = Number(args[args.indexOf('--runs') + 1] ?? '') || 5;
  const jsonOut = args.includes('--json') ? args[args.indexOf('--json') + 1] : undefined;
  await requireBaseImage();
  const engine = await testEngine();
  const cleanup = new Cleanup();
  try {
    const { folder, name } = await copyFixture('identity-df', cleanup);
    const modelFile = path.join(folder, 'model.py');
    await fs.writeFile(modelFile, DEBUG_MODEL);
    const prepared = await prepareBuild(folder, buildSettings);
    cleanup.image(prepared.tag);
    // Warm the caches: what a user has after a first Build or Debug.
    await buildImage(engine, prepared, buildSettings);
    cleanup.image(await buildDebugImage(engine, prepared.tag));

    const debugReady: number[] = [];
    const baseline: number[] = [];
    for (let i = 0; i < runs; i++) {
      {
        const t0 = performance.now();
        const built = await buildImage(engine, prepared, buildSettings);
        const model = await startModel(engine, { folder, manifest: prepared.manifest, image: built.tag, mode: 'dev', settings: runSettings });
        baseline.push(performance.now() - t0);
        await model.stop(2);
      }
      {
        const t0 = performance.now();
        const built = await buildImage(engine, prepared, buildSettings);
        const tag = await buildDebugImage(engine, built.tag);
        let dap: DapClient | undefined;
        let model: ModelContainer | undefined;
        try {
          model = await startModel(engine, {
            folder,
            manifest: prepared.manifest,
            image: tag,
            mode: 'dev',
            settings: runSettings,
            customize: (spec) => {
              addDebugger(spec, { wait: false });
            },
            beforeReady: async (m, info) => {
              const endpoint = debugEndpoint(m.info.socketDir, info);
              if (!endpoint || endpoint.kind !== 'unix') throw new Error('no Unix debug endpoint');
              await waitForDebugger(m, endpoint);
              dap = await DapClient.connect(endpoint.path);
              await dap.attach(attachArguments(defaultConfiguration(folder), folder, RUNTIME_DIR, true), { [modelFile]: [PREDICT_LINE] });
            },
          });
          debugReady.push(performance.now() - t0);
        } finally {
          dap?.close();
          await model?.stop(2);
        }
      }
    }
    const d = stats(debugReady);
    const b = stats(baseline);
    const cpus = os.cpus();
    const result = {
      bench: 'debug',
      machine: { cpu: cpus[0]?.model ?? 'unknown', cores: cpus.length, engine: engine.serverVersion, baseImage: BASE_IMAGE, loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100) },
      model: name,
      debugModelToReadyToStop: d,
      runDevModeToReady: b,
      ratioDebugToRun: Math.round((d.medianMs / b.medianMs) * 1000) / 1000,
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

/**
 * Language server benchmark, printed as JSON on stdout (and written to `--json PATH` when given).
 * Each figure comes with its baseline from the same run:
 *
 *   analysis:    full analysis of a generated 3,000-line model.py (median of 50)  vs  lezer parsing
 *                alone (the floor any analysis pays), and vs the 30 ms budget
 *   incremental: re-analysis after a one-character edit (reuses the unchanged syntax tree)  vs  full
 *   edit:        didChange → publishDiagnostics through the real server over stdio (median of 20),
 *                which includes the 150 ms typing debounce  vs  that debounce
 *
 * Run: npx tsc -p test/tsconfig.json && node out/bench/server/serverBench.js [--json PATH]
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { analyze } from '../../src/server/core/analyze';
import { DiskFileSystem } from '../../src/server/core/fs';
import { clearParseCache } from '../../src/server/core/python/parse';
import { parser } from '@lezer/python';
import { MANIFEST, tempFolder } from '../../test/unit/server/helpers';
import { LspClient } from '../../test/unit/server/lspClient';

const BUDGET_MS = 30;
const DEBOUNCE_MS = 150;

export function bigModel(lines: number): string {
  const out = ['import joblib', 'import numpy as np', 'import pandas as pd', 'from pyml import DataFrameModel', '', ''];
  let helper = 0;
  while (out.length < lines - 40) {
    out.push(`def helper_${helper}(df: pd.DataFrame, k: int = 3) -> pd.DataFrame:`);
    out.push(`    """Helper ${helper}."""`);
    out.push('    out = df.copy()');
    out.push('    for i in range(k):');
    out.push('        if i % 2 == 0:');
    out.push(`            out["x${helper}"] = out["tenure"] * i + np.log1p(out["tenure"])`);
    out.push('        else:');
    out.push('            out = out.assign(y=lambda d: d["tenure"] - 1)');
    out.push('    return out');
    out.push('');
    out.push('');
    helper++;
  }
  out.push('class ChurnModel(DataFrameModel):');
  out.push('    def __init__(self) -> None:');
  out.push('        self.clf = joblib.load(self.data_path("model.joblib"))');
  out.push('');
  out.push('    def predict(self, df: pd.DataFrame) -> pd.DataFrame:');
  while (out.length < lines - 2) out.push('        t = df["tenure"] + df.plan.str.len() + df[["tenure", "plan"]].shape[0]');
  out.push('        return pd.DataFrame({"churn_probability": self.clf.predict_proba(df[["tenure", "plan"]])[:, 1]})');
  return `${out.join('\n')}\n`;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

/** Median wall and CPU time of `fn` (CPU time stays meaningful on a loaded machine). */
function time(runs: number, fn: () => void): { wall: number; cpu: number } {
  for (let i = 0; i < 5; i++) fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c = process.cpuUsage();
    const t = performance.now();
    fn();
    wall.push(performance.now() - t);
    const u = process.cpuUsage(c);
    cpu.push((u.user + u.system) / 1000);
  }
  return { wall: median(wall), cpu: median(cpu) };
}

async function main(): Promise<void> {
  const text = bigModel(3000);
  const dir = tempFolder({ 'pyml.yaml': MANIFEST, 'model.py': text, 'requirements.txt': 'joblib\nscikit-learn\n', 'data/model.joblib': '' });
  const file = path.join(dir, 'model.py');
  const parse = time(50, () => parser.parse(text));
  const overlay = (t: string) => new DiskFileSystem((f) => (f === file ? t : undefined));
  const full = time(50, () => {
    clearParseCache();
    analyze(file, overlay(text));
  });
  const base = analyze(file, overlay(text));
  let n = 0;
  const incremental = time(50, () => {
    clearParseCache();
    const edited = text.replace('t = df["tenure"]', `t = df["tenure"] + ${n++ % 10}`);
    analyze(file, overlay(edited), [], undefined, base);
  });
  const findings = analyze(file, new DiskFileSystem()).findings.length;

  const client = await LspClient.start(dir);
  const uri = client.open(file, text);
  await client.diagnostics(uri, () => true);
  const latencies: number[] = [];
  for (let i = 0; i < 20; i++) {
    const edited = text.replace('df["tenure"] + df.plan', `df["tenure${i % 2 ? '' : 'x'}"] + df.plan`);
    const t = performance.now();
    client.change(uri, edited);
    await client.diagnostics(uri, (d) => d.some((x) => x.code === 'PYML220') === (i % 2 === 0));
    latencies.push(performance.now() - t);
  }
  await client.stop();
  fs.rmSync(dir, { recursive: true, force: true });
  const edit = median(latencies);
  const round = (x: number): number => Number(x.toFixed(2));
  const figures = {
    lines: text.split('\n').length - 1,
    findings,
    loadAverage: os.loadavg().map(round),
    analysis: {
      medianMs: round(full.wall),
      cpuMedianMs: round(full.cpu),
      parseBaselineMs: round(parse.wall),
      parseBaselineCpuMs: round(parse.cpu),
      ratioToParse: round(full.cpu / parse.cpu),
      budgetMs: BUDGET_MS,
      ratioToBudget: round(full.wall / BUDGET_MS),
    },
    incremental: { medianMs: round(incremental.wall), cpuMedianMs: round(incremental.cpu), ratioToFull: round(incremental.cpu / full.cpu) },
    edit: { medianMs: round(edit), debounceMs: DEBOUNCE_MS, ratioToDebounce: round(edit / DEBOUNCE_MS) },
  };
  const json = process.argv.indexOf('--json');
  const out = json >= 0 ? process.argv[json + 1] : undefined;
  if (out) fs.writeFileSync(out, `${JSON.stringify(figures, null, 2)}\n`);
  console.log(JSON.stringify(figures, null, 2));
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}

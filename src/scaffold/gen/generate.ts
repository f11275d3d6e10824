/**
 * Regenerates src/scaffold/generated/assets.json: the data/ and samples/ files of every template.
 *
 *     npm run compile-tests && node out/src/scaffold/gen/generate.js [template/kind ...]
 *
 * For each template x kind it renders the sources into a temporary folder, runs the template's own
 * train.py there (so the shipped parameters are exactly what train.py writes), then serves the folder
 * with the PyML runtime (runtime/, `python3 -m pyml serve`) and sends the template's sample inputs over
 * gRPC to record the expected outputs. Needs Debian's python3 with numpy, pandas, scikit-learn, torch,
 * grpcio, protobuf and PyYAML (apt-get install python3-sklearn python3-torch python3-grpcio python3-yaml).
 * Not part of the extension bundle.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { REFERENCE_NAMES, SAMPLE_FILE, kindTemplate, renderSources, sourceHash, templateKinds, type StoredAssets, type StoredFile, type StoredTemplate } from '../render';
import { formatSampleJson } from '../sample';

const PYTHON = process.env['PYML_PYTHON'] ?? '/usr/bin/python3';

function repoRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json')) || !fs.existsSync(path.join(dir, 'src', 'scaffold'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find the repository root above ' + __dirname);
    dir = up;
  }
  return dir;
}

function listFiles(dir: string, prefix = ''): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
  );
}

function stored(file: string): StoredFile {
  const bytes = fs.readFileSync(file);
  const text = bytes.toString('utf8');
  const isText = /\.(json|txt|csv|md)$/.test(file) && Buffer.from(text, 'utf8').equals(bytes);
  return isText ? { text } : { base64: bytes.toString('base64') };
}

function generate(root: string, template: Parameters<typeof kindTemplate>[0], kind: Parameters<typeof kindTemplate>[1]): StoredTemplate {
  const { t } = kindTemplate(template, kind);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `pyml-gen-${template}-${kind}-`));
  try {
    for (const f of renderSources(kind, template, REFERENCE_NAMES)) {
      fs.mkdirSync(path.dirname(path.join(dir, f.path)), { recursive: true });
      fs.writeFileSync(path.join(dir, f.path), f.contents);
    }
    const env = { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PYTHONHASHSEED: '0', OMP_NUM_THREADS: '1' };
    const trained = execFileSync(PYTHON, ['train.py'], { cwd: dir, env, encoding: 'utf8' });
    console.log(`${template}/${kind}: ${trained.trim()}`);
    const expectedJson = execFileSync(PYTHON, [path.join(root, 'src', 'scaffold', 'gen', 'v2sample.py'), dir], {
      cwd: dir,
      env: { ...env, PYTHONPATH: path.join(root, 'runtime') },
      input: JSON.stringify(t.sampleInputs),
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const expected = JSON.parse(expectedJson) as Record<string, unknown>;
    const files: Record<string, StoredFile> = {};
    for (const rel of listFiles(path.join(dir, 'data'), 'data/')) files[rel] = stored(path.join(dir, rel));
    files[SAMPLE_FILE] = {
      text: formatSampleJson({
        description: `${t.summary}: a request and the answer the shipped parameters give.`,
        inputs: t.sampleInputs,
        expected,
      }),
    };
    return { sourceHash: sourceHash(kind, template), files };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function main(): void {
  const root = repoRoot();
  const out = path.join(root, 'src', 'scaffold', 'generated', 'assets.json');
  const previous = JSON.parse(fs.readFileSync(out, 'utf8')) as StoredAssets;
  const only = new Set(process.argv.slice(2));
  const templates: Record<string, StoredTemplate | undefined> = { ...previous.templates };
  for (const { template, kind } of templateKinds()) {
    const key = `${template}/${kind}`;
    if (only.size > 0 && !only.has(key)) continue;
    templates[key] = generate(root, template, kind);
  }
  const assets: StoredAssets = { generator: 'src/scaffold/gen/generate.ts', templates };
  fs.writeFileSync(out, `${JSON.stringify(assets, null, 1)}\n`);
  console.log(`wrote ${path.relative(root, out)}`);
}

main();

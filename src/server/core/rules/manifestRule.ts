import * as path from 'path';
import { setModelEdit } from '../../../model/manifestOutline';
import type { ModelContext } from '../context';
import type { Code } from '../codes';
import { moduleFile } from '../context';
import { makeCheck } from '../python/check';
import type { Findings } from '../report';
import type { Fix } from '../types';

const BY_SOURCE: Readonly<Record<string, Code>> = { yaml: 'PYML100', schema: 'PYML101', semantic: 'PYML102' };

/** PYML100-102: the manifest against YAML and its JSON Schema; PYML002: `model:` must name a real class. */
export function checkManifest(ctx: ModelContext, findings: Findings): void {
  const manifest = ctx.manifest;
  if (!manifest) return;
  for (const p of manifest.parsed.problems) {
    findings.add(BY_SOURCE[p.source ?? 'schema'] ?? 'PYML101', { start: p.start, end: p.end }, p.message);
  }
  const model = manifest.model;
  if (!model) return;
  const file = moduleFile(ctx.root, model.module, ctx.files);
  const relative = `${model.module.split('.').join('/')}.py`;
  if (!file) {
    findings.add('PYML002', model.range, `model: ${model.module}:${model.className} names module '${model.module}', but there is no ${relative} in the model folder`);
    return;
  }
  const text = ctx.files.readText(file) ?? '';
  const check = makeCheck(file, text, ctx, findings);
  if (check.mod.classes.some((c) => c.name === model.className)) return;
  const fixes: Fix[] = check.models.map((m, i) => ({
    title: `Set model: ${model.module}:${m.cls.name}`,
    edits: [{ file: ctx.manifestFile, ...setModelEdit(manifest.text, model.module, m.cls.name) }],
    preferred: i === 0,
  }));
  const others = check.models.map((m) => m.cls.name);
  findings.add(
    'PYML002',
    model.range,
    `${path.basename(file)} defines no class '${model.className}'` + (others.length > 0 ? `; its model classes: ${others.join(', ')}` : ''),
    fixes,
  );
}

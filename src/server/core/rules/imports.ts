import * as path from 'path';
import type { RequirementsIndex } from '../context';
import { dependentsProviding, distributionsFor, isStdlib, runtimeProvides } from '../packages';
import type { PyCheck } from '../python/check';
import type { ImportInfo } from '../python/parse';
import { normalizeName } from '../requirements';
import { LineIndex } from '../text';
import type { Fix } from '../types';

/**
 * PYML200 / PYML201: every import must come from the standard library, the model folder, the PyML
 * runtime (pyml, numpy, pandas, grpc, google.protobuf, yaml) or requirements.txt. Imports inside
 * `try: ... except ImportError` and under `if TYPE_CHECKING:` are optional and not checked.
 */
export function checkImports(check: PyCheck): void {
  const reqs = check.ctx.requirements;
  // A lone script without requirements.txt has nothing to check against.
  if (check.role === 'standalone' && !reqs.exists) return;
  for (const imp of check.mod.imports) {
    if (imp.level > 0 || imp.guarded || !imp.module) continue;
    for (const module of candidates(imp)) {
      if (isStdlib(module) || check.ctx.isLocalModule(module, 0) || runtimeProvides(module) !== undefined) break;
      const verdict = judge(module, reqs);
      if (verdict.kind === 'ok') break;
      if (verdict.kind === 'opaque') break;
      const top = module.split('.')[0] ?? module;
      const fixes = verdict.distributions.slice(0, 2).map((d, i) => addRequirementFix(reqs, d, i === 0));
      const file = path.basename(reqs.file);
      if (verdict.kind === 'transitive') {
        check.findings.add(
          'PYML201',
          imp.range,
          `'${top}' is installed only because ${verdict.via} depends on it: add '${verdict.distributions[0] ?? top}' to ${file} so the model does not depend on that`,
          fixes,
        );
      } else {
        const dist = verdict.distributions[0] ?? top;
        const where = reqs.exists ? `add '${dist}' to ${file}` : `create ${file} with '${dist}'`;
        check.findings.add(
          'PYML200',
          imp.range,
          `'${module}' is not in the standard library, the model folder, the PyML runtime or ${file}: ${where}`,
          fixes,
        );
      }
      break;
    }
  }
}

/** `from google.cloud import storage` may mean the module google.cloud.storage: try it first. */
function candidates(imp: ImportInfo): string[] {
  if (!imp.isFrom) return [imp.module];
  const deeper = imp.names.filter((n) => n.name !== '*').map((n) => `${imp.module}.${n.name}`);
  const known = deeper.filter((m) => distributionsFor(m).known && !distributionsFor(imp.module).known);
  return [...known, imp.module];
}

type Verdict =
  | { readonly kind: 'ok' }
  | { readonly kind: 'opaque' }
  | { readonly kind: 'transitive'; readonly via: string; readonly distributions: readonly string[] }
  | { readonly kind: 'missing'; readonly distributions: readonly string[] };

function judge(module: string, reqs: RequirementsIndex): Verdict {
  const { names, known } = distributionsFor(module);
  const top = module.split('.')[0] ?? module;
  const declared = (n: string): boolean => reqs.names.has(normalizeName(n));
  if (names.some(declared) || declared(`python-${top}`) || declared(`py${top}`)) return { kind: 'ok' };
  const via = dependentsProviding(module).find((d) => reqs.names.has(d));
  if (via !== undefined) return { kind: 'transitive', via, distributions: names };
  // A URL or path in requirements.txt may install it under a name we cannot see.
  if (reqs.opaque && !known) return { kind: 'opaque' };
  return { kind: 'missing', distributions: names };
}

/** Appends a requirement line (creating requirements.txt when there is none). */
export function addRequirementFix(reqs: RequirementsIndex, distribution: string, preferred: boolean): Fix {
  const text = reqs.text ?? '';
  const end = new LineIndex(text).position(text.length);
  const lead = text.length > 0 && !text.endsWith('\n') ? '\n' : '';
  return {
    title: `Add '${distribution}' to ${path.basename(reqs.file)}`,
    edits: [{ file: reqs.file, range: { start: end, end }, newText: `${lead}${distribution}\n` }],
    ...(reqs.exists ? {} : { create: [reqs.file] }),
    preferred,
  };
}

import attributes from '../data/dataframe-attributes.json';
import distributions from '../data/distributions.json';
import stdlib from '../data/stdlib.json';
import { normalizeName } from './requirements';

/**
 * Top-level modules of the Python standard library (sys.stdlib_module_names) of 3.11 and 3.13, the
 * union: a module either has (`imp` is gone in 3.12, `_pyrepl` new in 3.13) needs no requirement.
 */
export const STDLIB: ReadonlySet<string> = new Set(stdlib.modules);

/** Public attributes of pandas.DataFrame in pandas 1.5 and 2.2 (the union): `df.<these>` is not a column read. */
export const DATAFRAME_ATTRIBUTES: ReadonlySet<string> = new Set(attributes.attributes);

const MODULES: Readonly<Record<string, readonly string[]>> = distributions.modules;
const RUNTIME: Readonly<Record<string, string>> = distributions.runtime;
const DEPENDENCIES: Readonly<Record<string, readonly string[]>> = distributions.dependencies;

/** The dotted prefixes of a module, longest first: a.b.c, a.b, a. */
function prefixes(module: string): string[] {
  const parts = module.split('.');
  return parts.map((_, i) => parts.slice(0, parts.length - i).join('.'));
}

export function isStdlib(module: string): boolean {
  const top = module.split('.')[0] ?? module;
  return top === '__future__' || STDLIB.has(top);
}

/** What every PyML image provides for this import, if anything (pyml, numpy, pandas, grpc, protobuf, yaml). */
export function runtimeProvides(module: string): string | undefined {
  for (const p of prefixes(module)) {
    const what = RUNTIME[p];
    if (what !== undefined) return what;
  }
  return undefined;
}

/**
 * The pip distributions that provide an import, best first, and whether the map knows the module
 * (otherwise the guess is the module's own name).
 */
export function distributionsFor(module: string): { readonly names: readonly string[]; readonly known: boolean } {
  for (const p of prefixes(module)) {
    const names = MODULES[p];
    if (names) return { names, known: true };
  }
  const top = module.split('.')[0] ?? module;
  return { names: [top.replace(/_/g, '-')], known: false };
}

/** The normalised distribution names whose own dependencies include this import. */
export function dependentsProviding(module: string): string[] {
  const keys = new Set(prefixes(module));
  return Object.entries(DEPENDENCIES)
    .filter(([, mods]) => mods.some((m) => keys.has(m)))
    .map(([dist]) => normalizeName(dist));
}

/** Module names that are import names, not distributions (`sklearn` → `scikit-learn`). */
export function distributionForImportName(requirement: string): string | undefined {
  const normalized = normalizeName(requirement);
  for (const [module, names] of Object.entries(MODULES)) {
    if (module.includes('.')) continue;
    const first = names[0];
    if (first === undefined) continue;
    if (normalizeName(module) === normalized && !names.some((n) => normalizeName(n) === normalized)) return first;
  }
  return undefined;
}

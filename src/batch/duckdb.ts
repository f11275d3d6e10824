/**
 * DuckDB, the embedded SQL engine behind "SQL query over local files", loaded only when a query runs.
 *
 * `@duckdb/node-api` ships a ~70 MB native binary per platform, over the whole .vsix budget (15 MB),
 * so it is NOT bundled: it is an optional dependency in development, resolved at run time from the
 * folders given (the extension's own node_modules when present, then a folder in the extension's
 * global storage where the user can install it with one npm command). Files (CSV, Parquet, JSON
 * lines, Arrow) are read without it.
 */
import * as path from 'path';
import type * as DuckDB from '@duckdb/node-api';

export type DuckDbModule = typeof DuckDB;

export const DUCKDB_PACKAGE = '@duckdb/node-api';
/** The version this code is written and tested against. */
export const DUCKDB_VERSION = '1.5.6-r.1';

/** DuckDB could not be loaded from any of the folders; says how to install it. */
export class DuckDbMissingError extends Error {
  override readonly name = 'DuckDbMissingError';
  constructor(
    /** The folder to install it into (the last search folder). */
    readonly installDir: string,
    readonly reasons: readonly string[],
  ) {
    super(
      `SQL queries need DuckDB (${DUCKDB_PACKAGE}), which is not shipped with the extension because of its size (about 70 MB). ` +
        `Install it once with: ${installCommand(installDir)} — or read the files directly (CSV, Parquet, JSON lines, Arrow) without SQL.`,
    );
  }
}

/** The npm command that installs DuckDB where loadDuckDb looks for it. */
export function installCommand(installDir: string): string {
  return `npm install --prefix "${installDir}" ${DUCKDB_PACKAGE}@${DUCKDB_VERSION}`;
}

const loaded = new Map<string, DuckDbModule>();

declare const __non_webpack_require__: ((id: string) => unknown) | undefined;

/**
 * Node's own `module.createRequire`, reached so that webpack does not rewrite it: a bundler
 * resolves `require`/`createRequire` calls at build time, and this one must resolve at run time.
 */
function nodeCreateRequire(): (typeof import('module'))['createRequire'] {
  const builtin = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
  const mod = builtin ? builtin('module') : typeof __non_webpack_require__ === 'function' ? __non_webpack_require__('module') : undefined;
  if (!mod) throw new Error('cannot reach node:module to load DuckDB');
  return (mod as typeof import('module')).createRequire;
}

/** Loads @duckdb/node-api from the first folder whose node_modules has it (`<dir>/node_modules/...`). */
export function loadDuckDb(searchDirs: readonly string[]): DuckDbModule {
  const reasons: string[] = [];
  for (const dir of searchDirs) {
    const cached = loaded.get(dir);
    if (cached) return cached;
    try {
      const load = nodeCreateRequire()(path.join(dir, 'package.json'));
      const mod = load(DUCKDB_PACKAGE) as DuckDbModule;
      loaded.set(dir, mod);
      return mod;
    } catch (err) {
      reasons.push(`${dir}: ${err instanceof Error ? err.message.split('\n')[0] ?? '' : String(err)}`);
    }
  }
  throw new DuckDbMissingError(searchDirs[searchDirs.length - 1] ?? '.', reasons);
}

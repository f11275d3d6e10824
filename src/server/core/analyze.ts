import * as path from 'path';
import { modelContextFor, type ModelContext } from './context';
import { MANIFEST_NAME, PACKAGES_NAME, REQUIREMENTS_NAME, samePath, type FileSystem } from './fs';
import { inScope, makeCheck, type PyCheck } from './python/check';
import type { PyModule } from './python/parse';
import { Findings } from './report';
import { checkColumns } from './rules/columnsRule';
import { checkContract } from './rules/contract';
import { checkDataFiles } from './rules/dataFiles';
import { checkImports } from './rules/imports';
import { checkManifest } from './rules/manifestRule';
import { checkOutputs } from './rules/outputsRule';
import { checkPackages } from './rules/packagesRule';
import { checkRequirements } from './rules/requirementsRule';
import type { Finding } from './types';

export type FileKind = 'python' | 'manifest' | 'requirements' | 'packages' | 'other';

export function fileKind(file: string): FileKind {
  const base = path.basename(file);
  if (base === MANIFEST_NAME) return 'manifest';
  if (base === REQUIREMENTS_NAME) return 'requirements';
  if (base === PACKAGES_NAME) return 'packages';
  if (base.endsWith('.py') || base.endsWith('.pyi')) return 'python';
  return 'other';
}

/** The result of analysing one file: its findings, and what hovers, completions and lenses need. */
export interface Analysis {
  readonly file: string;
  readonly kind: FileKind;
  readonly findings: readonly Finding[];
  readonly ctx?: ModelContext;
  /** For Python files in scope. */
  readonly python?: PyCheck;
  /** For Python files out of scope: the parse, kept for incremental re-parsing. */
  readonly module?: PyModule;
}

/**
 * Analyses one file against its model folder. Pure over `files` (which lays open documents over the
 * disk); never throws on broken input: a rule that fails is logged through `onRuleError` and skipped.
 */
export function analyze(
  file: string,
  files: FileSystem,
  roots: readonly string[] = [],
  onRuleError: (rule: string, err: unknown) => void = () => undefined,
  /** The previous analysis of the same document: its syntax tree is reused where the text did not change. */
  previous?: Analysis,
): Analysis {
  const kind = fileKind(file);
  const text = files.readText(file);
  if (text === undefined || kind === 'other') return { file, kind, findings: [] };
  const ctx = modelContextFor(file, files, roots);
  const run = (rule: string, fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      onRuleError(rule, err);
    }
  };

  if (kind === 'python') {
    const check = makeCheck(file, text, ctx, new Findings(file, (line, code) => suppressed(check, line, code)), previous?.python?.mod ?? previous?.module);
    if (!inScope(check)) return { file, kind, findings: [], ctx, module: check.mod };
    run('contract', () => {
      checkContract(check);
    });
    run('imports', () => {
      checkImports(check);
    });
    run('dataFiles', () => {
      checkDataFiles(check);
    });
    run('columns', () => {
      checkColumns(check);
    });
    run('outputs', () => {
      checkOutputs(check);
    });
    return { file, kind, findings: check.findings.list, ctx, python: check };
  }

  // The other files are in scope only inside a model folder (beside its pyml.yaml).
  if (!ctx.manifest || !samePath(path.dirname(file), ctx.root)) return { file, kind, findings: [], ctx };
  const findings = new Findings(file);
  if (kind === 'manifest') {
    run('manifest', () => {
      checkManifest(ctx, findings);
    });
  }
  if (kind === 'requirements') {
    run('requirements', () => {
      checkRequirements(file, text, files, findings);
    });
  }
  if (kind === 'packages') {
    run('packages', () => {
      checkPackages(file, text, findings);
    });
  }
  return { file, kind, findings: findings.list, ctx };
}

function suppressed(check: PyCheck, line: number, code: string): boolean {
  const s = check.mod.suppressions.get(line);
  return s === 'all' || (s !== undefined && s.has(code));
}

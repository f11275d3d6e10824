/**
 * The schema check of a batch run, before any row is read or sent: the input's columns against the
 * model's inputs (by name and type), the key columns to carry through, the output table's columns.
 * A pure function of the source's fields and the manifest.
 */
import * as arrow from 'apache-arrow';
import type { Field, Manifest } from '../model/manifest';
import { arrowTypeOf } from '../protocol/arrowCodec';
import type { ColumnRead, SourceField } from '../tables/fields';
import { canWiden, dtypeName, keyArrowType, sourceDatatype } from './columns';
import { SchemaMismatchError, type ColumnProblem } from './batchErrors';

export interface BatchPlan {
  /** The model's inputs, in manifest order: the columns of each request. */
  readonly inputs: readonly ColumnRead[];
  /** The key columns carried through, in the order asked. */
  readonly keys: readonly ColumnRead[];
  /** The model's outputs, in manifest order. */
  readonly outputs: readonly Field[];
  /** Every source column to read, once each (a key that is also an input is read as the input). */
  readonly read: readonly ColumnRead[];
  /** The output table: keys, then outputs. */
  readonly outputSchema: arrow.Schema;
}

/** Checks the input against the model; throws SchemaMismatchError naming every column that does not fit. */
export function planBatch(manifest: Pick<Manifest, 'kind' | 'inputs' | 'outputs'>, fields: readonly SourceField[], keys: readonly string[]): BatchPlan {
  const byName = new Map(fields.map((f) => [f.name, f]));
  const problems: ColumnProblem[] = [];
  const inputs: ColumnRead[] = [];

  if (manifest.kind === 'tensor') problems.push(...tensorProblems(manifest));

  for (const input of manifest.inputs) {
    const field = byName.get(input.name);
    const declared = `${input.dtype} (${input.datatype})`;
    if (!field) {
      problems.push({ column: input.name, problem: `the model needs this input column (${declared}) but the input has no such column` });
      continue;
    }
    const problem = typeProblem(field, input);
    if (problem) {
      problems.push({ column: input.name, problem });
      continue;
    }
    inputs.push({ name: input.name, type: arrowTypeOf(input.datatype, input.dtype !== 'bytes') });
  }

  const keyReads: ColumnRead[] = [];
  const seen = new Set<string>();
  const outputNames = new Set(manifest.outputs.map((o) => o.name));
  for (const key of keys) {
    if (seen.has(key)) {
      problems.push({ column: key, problem: 'is listed twice as a key column' });
      continue;
    }
    seen.add(key);
    const field = byName.get(key);
    if (!field) {
      problems.push({ column: key, problem: 'is asked for as a key column but the input has no such column' });
      continue;
    }
    if (outputNames.has(key)) {
      problems.push({
        column: key,
        problem: 'is a key column with the name of a model output; the output table cannot hold both (rename it in a SQL query: SELECT *, key AS key_id)',
      });
      continue;
    }
    const asInput = inputs.find((i) => i.name === key);
    keyReads.push(asInput ?? { name: key, ...keyArrowType(field) });
  }

  if (problems.length > 0) throw new SchemaMismatchError(problems, fields.map((f) => f.name));

  const read = [...inputs, ...keyReads.filter((k) => !inputs.some((i) => i.name === k.name))];
  const outputFields = [
    ...keyReads.map((k) => new arrow.Field(k.name, k.type, true)),
    ...manifest.outputs.map((o) => new arrow.Field(o.name, arrowTypeOf(o.datatype, o.dtype !== 'bytes'), !isFloat(o))),
  ];
  return { inputs, keys: keyReads, outputs: manifest.outputs, read, outputSchema: new arrow.Schema(outputFields) };
}

function isFloat(field: Field): boolean {
  return field.datatype === 'FP16' || field.datatype === 'FP32' || field.datatype === 'FP64';
}

function typeProblem(field: SourceField, input: Field): string | undefined {
  const declared = `${input.dtype} (${input.datatype})`;
  switch (field.type.kind) {
    case 'text':
    case 'json':
      return undefined; // converted value by value; a value that does not convert names its row
    case 'unsupported':
      return `the input has ${field.typeName}, which no V2 datatype carries; the model declares ${declared}${castHint(input)}`;
    case 'typed': {
      const have = sourceDatatype(field);
      if (!have) return `the input has ${field.typeName}, which no V2 datatype carries; the model declares ${declared}${castHint(input)}`;
      if (input.datatype === 'BYTES') {
        if (have !== 'BYTES') return `the input has ${field.typeName}, the model declares ${declared}${castHint(input)}`;
        return undefined;
      }
      if (canWiden(have, input.datatype)) return undefined;
      return `the input has ${field.typeName} (${dtypeName(have)}), the model declares ${declared}; ` +
        `only lossless casts are made${castHint(input)}`;
    }
  }
}

function castHint(input: Field): string {
  const sql: Partial<Record<Field['datatype'], string>> = {
    FP64: 'DOUBLE', FP32: 'FLOAT', INT64: 'BIGINT', INT32: 'INTEGER', INT16: 'SMALLINT', INT8: 'TINYINT',
    UINT64: 'UBIGINT', UINT32: 'UINTEGER', UINT16: 'USMALLINT', UINT8: 'UTINYINT', BOOL: 'BOOLEAN', BYTES: 'VARCHAR',
  };
  const type = sql[input.datatype];
  return type ? ` (convert it, e.g. in a SQL query: CAST(${quoteIdent(input.name)} AS ${type}) AS ${quoteIdent(input.name)})` : '';
}

function quoteIdent(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

/** A tensor model can run in batches when every input and output is a column: shape [-1] or [-1, 1]. */
function tensorProblems(manifest: Pick<Manifest, 'inputs' | 'outputs'>): ColumnProblem[] {
  const problems: ColumnProblem[] = [];
  for (const f of [...manifest.inputs, ...manifest.outputs]) {
    const shape = f.shape ?? [-1];
    const columnar = (shape.length === 1 || (shape.length === 2 && shape[1] === 1)) && shape[0] === -1;
    if (!columnar) {
      problems.push({
        column: f.name,
        problem: `a tensor of shape [${shape.join(', ')}] is not a column; batch prediction of tensor models needs every input and output of shape [-1] (or [-1, 1])`,
      });
    }
  }
  return problems;
}

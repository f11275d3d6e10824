/**
 * What the user gives the panel, made ready to send and checked against the model's schema: grid
 * cells to an Arrow table, tensor texts to tensors, and loaded tables conformed (columns picked,
 * ordered and cast to the declared datatypes). Each problem names the column or tensor, the row and
 * what was expected.
 */
import * as arrow from 'apache-arrow';
import { elementSize, type V2Datatype } from '../model/dtypes';
import { v2DatatypeOf, type AnyTable, type AnyVector, type TensorInput } from '../protocol/arrowCodec';
import type { GridColumn, ModelSchema, SchemaField, TensorText } from '../shared/panelMessages';
import { formatShape, parseNested, shapeProblem } from '../shared/panelValues';
import { ColumnBuilder } from '../tables/columnBuilder';
import { InputError } from '../tables/errors';

const MAX_PROBLEMS = 12;

/** A prepared request body: a DataFrame table or named tensors. */
export type PreparedInput =
  | { readonly kind: 'table'; readonly table: AnyTable }
  | { readonly kind: 'tensors'; readonly tensors: readonly TensorInput[] };

/** Grid cells (texts, null = missing) to an Arrow table with the schema's columns, in its order. */
export function gridToTable(schema: ModelSchema, columns: readonly GridColumn[]): AnyTable {
  const problems: string[] = [];
  const byName = new Map(columns.map((c) => [c.name, c]));
  for (const c of columns) {
    if (!schema.inputs.some((f) => f.name === c.name)) problems.push(`column '${c.name}' is not an input of model '${schema.model}'`);
  }
  const rows = columns[0]?.cells.length ?? 0;
  const vectors: Record<string, AnyVector> = {};
  for (const f of schema.inputs) {
    const column = byName.get(f.name);
    if (!column) {
      problems.push(`column '${f.name}' (${f.datatype}) is missing`);
      continue;
    }
    if (column.cells.length !== rows) problems.push(`column '${f.name}' has ${column.cells.length} rows, the first column ${rows}`);
    const builder = ColumnBuilder.of(f.name, f.datatype, column.cells.length);
    column.cells.forEach((text, row) => {
      const problem = builder.appendCell(text);
      if (problem && problems.length < MAX_PROBLEMS) problems.push(`column '${f.name}', row ${row + 1}: ${problem}`);
    });
    vectors[f.name] = builder.finish();
  }
  if (problems.length > 0) throw InputError.listing(problems);
  return new arrow.Table<Record<string, arrow.DataType>>(vectors);
}

/** Tensor texts (nested lists) to tensors with their shapes checked against the schema. */
export function tensorsFromText(schema: ModelSchema, tensors: readonly TensorText[]): TensorInput[] {
  const problems: string[] = [];
  const out: TensorInput[] = [];
  for (const f of schema.inputs) {
    const t = tensors.find((x) => x.name === f.name);
    if (!t) {
      problems.push(`tensor '${f.name}' (${f.datatype} ${formatShape(f.shape)}) is missing`);
      continue;
    }
    const nested = parseNested(t.text);
    if (!nested.ok) {
      problems.push(`tensor '${f.name}': ${nested.error}`);
      continue;
    }
    let shape = nested.value.shape;
    const given = t.shape.length > 0 && t.shape.some((d) => d !== -1) ? t.shape : undefined;
    if (given) {
      const resolved = resolveShape(given, nested.value.items.length);
      if (typeof resolved === 'string') {
        problems.push(`tensor '${f.name}': ${resolved}`);
        continue;
      }
      shape = resolved;
    }
    const mismatch = shapeProblem(f.shape, shape);
    if (mismatch) {
      problems.push(`tensor '${f.name}': ${mismatch}`);
      continue;
    }
    const builder = ColumnBuilder.of(f.name, f.datatype, nested.value.items.length);
    nested.value.items.forEach((text, i) => {
      const problem = builder.appendCell(text);
      if (problem && problems.length < MAX_PROBLEMS) problems.push(`tensor '${f.name}', element ${i}: ${problem}`);
    });
    const values = builder.finish();
    if (values.nullCount > 0) problems.push(`tensor '${f.name}' has ${values.nullCount} missing values; tensors cannot hold them`);
    out.push({ name: f.name, shape, values, datatype: f.datatype });
  }
  for (const t of tensors) {
    if (!schema.inputs.some((f) => f.name === t.name)) problems.push(`tensor '${t.name}' is not an input of model '${schema.model}'`);
  }
  if (problems.length > 0) throw InputError.listing(problems.slice(0, MAX_PROBLEMS));
  return out;
}

/** A user's shape with at most one -1 resolved against the element count, or a problem. */
export function resolveShape(shape: readonly number[], count: number): number[] | string {
  const unknown = shape.filter((d) => d === -1).length;
  const known = shape.reduce((a, d) => (d === -1 ? a : a * d), 1);
  if (unknown > 1) return `shape ${formatShape(shape)} has more than one -1`;
  if (unknown === 1) {
    if (known === 0 || count % known !== 0) return `${count} elements do not fill shape ${formatShape(shape)}`;
    return shape.map((d) => (d === -1 ? count / known : d));
  }
  if (known !== count) return `shape ${formatShape(shape)} holds ${known} elements but ${count} were given`;
  return [...shape];
}

/**
 * A loaded table made to match a DataFrame schema: columns found by name (exact, then ignoring
 * case), put in schema order, cast to the declared datatypes; extra columns dropped with a warning.
 */
export function conformTable(schema: ModelSchema, table: AnyTable): { table: AnyTable; warnings: string[] } {
  const problems: string[] = [];
  const warnings: string[] = [];
  const names = table.schema.fields.map((f) => f.name);
  const used = new Set<string>();
  const vectors: Record<string, AnyVector> = {};
  for (const f of schema.inputs) {
    const found = names.find((n) => n === f.name) ?? names.find((n) => n.toLowerCase() === f.name.toLowerCase());
    const column = found === undefined ? null : table.getChild(found);
    if (found === undefined || !column) {
      problems.push(`column '${f.name}' (${f.datatype}) is missing; the file has ${names.map((n) => `'${n}'`).join(', ') || 'no columns'}`);
      continue;
    }
    used.add(found);
    try {
      vectors[f.name] = castVector(f.name, column, f.datatype);
    } catch (err) {
      problems.push(err instanceof Error ? err.message : String(err));
    }
  }
  const extra = names.filter((n) => !used.has(n));
  if (extra.length > 0) warnings.push(`ignored ${extra.length} column${extra.length === 1 ? '' : 's'} the model does not take: ${extra.slice(0, 10).join(', ')}`);
  if (problems.length > 0) throw InputError.listing(problems.slice(0, MAX_PROBLEMS));
  return { table: new arrow.Table<Record<string, arrow.DataType>>(vectors), warnings };
}

/**
 * Tensors for a tensor model from a loaded table: a column per input by name; or, for a model with
 * one input of rank 2, every column stacked row-major as its [rows, columns] tensor.
 */
export function tableToTensors(schema: ModelSchema, table: AnyTable): TensorInput[] {
  const names = table.schema.fields.map((f) => f.name);
  const only = schema.inputs[0];
  if (schema.inputs.length === 1 && only && only.shape.length === 2 && !names.includes(only.name)) {
    const width = names.length;
    if (only.shape[1] !== -1 && only.shape[1] !== width) {
      throw InputError.listing([`tensor '${only.name}' needs ${only.shape[1]} columns per row; the file has ${width}`]);
    }
    const columns = names.map((n) => castVector(n, table.getChild(n) ?? arrow.makeVector(new Float64Array(0)), only.datatype));
    const rows = table.numRows;
    const builder = ColumnBuilder.of(only.name, only.datatype, rows * width);
    for (let r = 0; r < rows; r++) for (const c of columns) builder.appendValue(c.get(r) as number | bigint | boolean | string | null);
    const values = builder.finish();
    return [{ name: only.name, shape: [rows, width], values, datatype: only.datatype }];
  }
  const problems: string[] = [];
  const out: TensorInput[] = [];
  for (const f of schema.inputs) {
    const column = table.getChild(f.name);
    if (!column) {
      problems.push(`tensor '${f.name}' is missing; the file has ${names.join(', ')}`);
      continue;
    }
    const shape = f.shape.length === 2 && f.shape[1] === 1 ? [table.numRows, 1] : [table.numRows];
    const mismatch = shapeProblem(f.shape, shape);
    if (mismatch) problems.push(`tensor '${f.name}': ${mismatch}`);
    else out.push({ name: f.name, shape, values: castVector(f.name, column, f.datatype), datatype: f.datatype });
  }
  if (problems.length > 0) throw InputError.listing(problems);
  return out;
}

/** Checks tensors (e.g. from .npy files) against the schema and casts them to the declared datatypes. */
export function conformTensors(schema: ModelSchema, tensors: readonly TensorInput[]): TensorInput[] {
  const problems: string[] = [];
  const out: TensorInput[] = [];
  const single = schema.inputs.length === 1 && tensors.length === 1;
  for (const f of schema.inputs) {
    const t = tensors.find((x) => x.name === f.name) ?? (single ? tensors[0] : undefined);
    if (!t) {
      problems.push(`tensor '${f.name}' is missing; the file holds ${tensors.map((x) => `'${x.name}'`).join(', ') || 'nothing'}`);
      continue;
    }
    const mismatch = shapeProblem(f.shape, t.shape);
    if (mismatch) {
      problems.push(`tensor '${f.name}': ${mismatch}`);
      continue;
    }
    try {
      out.push({ name: f.name, shape: t.shape, values: castVector(f.name, t.values, f.datatype), datatype: f.datatype });
    } catch (err) {
      problems.push(err instanceof Error ? err.message : String(err));
    }
  }
  if (problems.length > 0) throw InputError.listing(problems);
  return out;
}

/**
 * A vector as `datatype`: the same vector when it already is; numbers between numeric types when
 * every value fits exactly (integers from floats must be whole); anything from text by the cell
 * rules. Throws naming the column, the first row that does not fit and why.
 */
export function castVector(name: string, vector: AnyVector, datatype: V2Datatype): AnyVector {
  const from = v2DatatypeOf(vector.type);
  if (from === datatype && vector.type.typeId !== arrow.Type.Dictionary) return vector;
  if (from === datatype && datatype !== 'BYTES') return vector;
  const builder = ColumnBuilder.of(name, datatype, vector.length);
  const integer = datatype.startsWith('INT') || datatype.startsWith('UINT');
  for (let i = 0; i < vector.length; i++) {
    const v: unknown = vector.get(i);
    if (v === null || v === undefined) {
      builder.appendValue(null);
      continue;
    }
    if (typeof v === 'number' && integer && !Number.isInteger(v)) {
      throw InputError.listing([`column '${name}', row ${i + 1}: ${v} is not a whole number, but the model takes ${datatype}`]);
    }
    const text = cellText(v);
    const problem = builder.appendCell(text);
    if (problem) throw InputError.listing([`column '${name}', row ${i + 1}: ${problem}`]);
  }
  return builder.finish();
}

/** The text of a value read from an Arrow vector, for the cell rules. */
function cellText(v: unknown): string {
  if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : String(v);
  if (typeof v === 'string' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  return typeof v === 'object' && v !== null ? JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? String(x) : x)) : '';
}

/** A short description of a request for the history: `3 rows x 2 columns`, `image [1, 28, 28]`. */
export function describePrepared(input: PreparedInput): string {
  if (input.kind === 'table') {
    const t = input.table;
    return `${t.numRows} row${t.numRows === 1 ? '' : 's'} x ${t.numCols} column${t.numCols === 1 ? '' : 's'}`;
  }
  return input.tensors.map((t) => `${t.name} ${formatShape(t.shape)}`).join(', ');
}

/** Bytes a request body will take on the wire, roughly (for warnings before sending). */
export function approximateBytes(input: PreparedInput): number {
  const vectors = input.kind === 'table' ? input.table.schema.fields.map((f) => input.table.getChild(f.name)) : input.tensors.map((t) => t.values);
  let total = 0;
  for (const v of vectors) {
    if (!v) continue;
    const datatype = v2DatatypeOf(v.type);
    total += datatype === 'BYTES' || !datatype ? v.data.reduce((n, d) => n + d.byteLength, 0) + 4 * v.length : (elementSize(datatype) ?? 1) * v.length;
  }
  return total;
}

export function fieldNames(fields: readonly SchemaField[]): string {
  return fields.map((f) => f.name).join(', ');
}

/** A request made to fit the schema: a table conformed (or turned into tensors), tensors checked and cast. */
export function conformPrepared(schema: ModelSchema, input: PreparedInput): PreparedInput {
  if (input.kind === 'table') {
    return schema.kind === 'dataframe' ? { kind: 'table', table: conformTable(schema, input.table).table } : { kind: 'tensors', tensors: tableToTensors(schema, input.table) };
  }
  if (schema.kind === 'dataframe') throw new InputError('this model takes a DataFrame (columns), not tensors');
  return { kind: 'tensors', tensors: conformTensors(schema, input.tensors) };
}

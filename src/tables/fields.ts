/** The columns of an input as its reader describes them, and what a caller asks a reader for. */
import type * as arrow from 'apache-arrow';

/**
 * A column of the input. Typed sources (Parquet, Arrow IPC, SQL) give an Arrow type, or
 * `unsupported` with the source's own type name when it has no V2 datatype (dates, decimals ...).
 * CSV columns are `text` and JSON lines columns `json`: their values are converted to the type they
 * are read as, value by value, and a value that does not convert names its row and column.
 */
export type SourceType =
  | { readonly kind: 'typed'; readonly type: arrow.DataType }
  | { readonly kind: 'unsupported'; readonly typeName: string }
  | { readonly kind: 'text' }
  | { readonly kind: 'json'; readonly type: arrow.DataType };

export interface SourceField {
  readonly name: string;
  readonly type: SourceType;
  /** How the source names the type, for messages: `DOUBLE (Parquet)`, `BIGINT (DuckDB)`, `text (CSV)`. */
  readonly typeName: string;
}

/** What to read of one source column: its name and the Arrow type it must arrive as. */
export interface ColumnRead {
  readonly name: string;
  readonly type: arrow.DataType;
  /** The column has no V2 type: its values are turned into text. */
  readonly asText?: boolean;
}

/** Arrow's own name of a type, for messages: `Float64`, `Utf8`, `Int64` (its toString, untyped in its declarations). */
export function arrowTypeName(type: arrow.DataType): string {
  return (type as unknown as { toString(): string }).toString();
}

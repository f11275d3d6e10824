/**
 * A SQL query as cluster input: DuckDB runs it on this machine into a CSV file in the job's folder
 * (next to the output, removed after the job), which the job then splits into byte-range partitions.
 */
import { promises as fs } from 'fs';
import { randomBytes } from 'crypto';
import * as path from 'path';
import type { DuckDbModule } from '../batch/duckdb';
import { ClusterError } from './clusterErrors';

export interface SqlInput {
  /** The job folder holding the query's rows (input.csv). */
  readonly folder: string;
  readonly file: string;
  remove(): Promise<void>;
}

export async function sqlToPartitions(duckdb: DuckDbModule, query: string, cwd: string, output: string): Promise<SqlInput> {
  const folder = path.join(path.dirname(output), `.pyml-job-${path.basename(output)}-${randomBytes(3).toString('hex')}`);
  await fs.mkdir(folder, { recursive: true });
  const file = path.join(folder, 'input.csv');
  const instance = await duckdb.DuckDBInstance.create(':memory:', { file_search_path: cwd, autoinstall_known_extensions: 'false' });
  const connection = await instance.connect();
  try {
    const body = query.trim().replace(/;+\s*$/, '');
    await connection.run(`COPY (${body}) TO '${file.replace(/'/g, "''")}' (FORMAT CSV, HEADER TRUE)`);
  } catch (err) {
    await fs.rm(folder, { recursive: true, force: true });
    throw new ClusterError(`the SQL query failed in DuckDB: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  return { folder, file, remove: () => fs.rm(folder, { recursive: true, force: true }) };
}

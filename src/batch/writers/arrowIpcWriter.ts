/**
 * Arrow IPC output: the file format (`.arrow`, `.feather`) or the stream format (`.arrows`), one
 * record batch per batch of the run, streamed to disk with backpressure. Columns keep their types
 * exactly, so this is the format to compare outputs bit for bit.
 */
import * as arrow from 'apache-arrow';
import { FileOut } from './stream';
import { commitFile, removeQuietly, type BatchSink, type SinkOptions } from './sinkFile';

export function openArrowSink(tempPath: string, options: SinkOptions): BatchSink {
  const out = new FileOut(tempPath);
  const writer = options.format === 'arrows' ? new arrow.RecordBatchStreamWriter() : new arrow.RecordBatchFileWriter();
  const schema = options.schema;
  let started = false;
  // The writer's bytes, as it produces them, go to the file in order.
  const pump = (async (): Promise<void> => {
    for await (const chunk of writer as AsyncIterable<Uint8Array>) await out.write(chunk);
  })();
  pump.catch(() => undefined);
  const startIfNeeded = (): void => {
    if (started) return;
    started = true;
    writer.reset(undefined, schema);
  };
  return {
    tempPath,
    async write(table) {
      startIfNeeded();
      for (const batch of table.batches) {
        writer.write(new arrow.RecordBatch(schema, batch.data));
      }
      // Let the pump catch up so the writer's queue stays small.
      await new Promise<void>((resolve) => setImmediate(resolve));
    },
    async commit() {
      startIfNeeded();
      writer.finish();
      await pump;
      await out.end();
      return commitFile(tempPath, options.output);
    },
    async abort() {
      writer.abort();
      await pump.catch(() => undefined);
      await out.destroy();
      await removeQuietly(tempPath);
    },
  };
}

/** A file write stream that respects backpressure: `write` waits while the stream's buffer is full. */
import * as fs from 'fs';

export class FileOut {
  private readonly stream: fs.WriteStream;
  private failure: Error | undefined;
  private closed = false;

  /**
   * Creates the file at once (it must not exist yet), so it is on disk as soon as the sink is open and a
   * clash throws here, not on the first write.
   */
  constructor(readonly file: string) {
    const fd = fs.openSync(file, 'wx');
    this.stream = fs.createWriteStream(file, { fd, highWaterMark: 1024 * 1024 });
    this.stream.on('error', (err) => {
      this.failure ??= err;
    });
  }

  get bytesWritten(): number {
    return this.stream.bytesWritten;
  }

  async write(chunk: Uint8Array | string): Promise<void> {
    if (this.failure) throw this.failure;
    if (!this.stream.write(chunk)) await this.drained();
  }

  /** Flushes and closes; rejects with the first write error. */
  async end(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await new Promise<void>((resolve, reject) => {
      this.stream.end((err?: Error | null) => {
        const failure = err ?? this.failure;
        if (failure) reject(failure);
        else resolve();
      });
    });
    if (this.failure) throw this.failure;
  }

  /** Closes without caring about errors (abort). */
  async destroy(): Promise<void> {
    this.closed = true;
    if (this.stream.closed) return;
    await new Promise<void>((resolve) => {
      this.stream.once('close', () => {
        resolve();
      });
      this.stream.destroy();
    });
  }

  private drained(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => {
        this.stream.off('drain', onDrain);
        reject(err);
      };
      const onDrain = (): void => {
        this.stream.off('error', onError);
        resolve();
      };
      this.stream.once('drain', onDrain);
      this.stream.once('error', onError);
    });
  }
}

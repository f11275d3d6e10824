/**
 * Buffers handed back for reuse, by byte length, up to a total: the next buffer of a length is taken
 * from here before a new one is made. Memory already touched costs only the copy into it; new memory
 * costs a page fault per page as well, which on VMs that return freed pages to their host is most of
 * the copy. Used for shared-memory answers (protocol/shmChannel.ts) and Parquet row groups
 * (tables/parquetFast.ts). Plain TypeScript, no imports.
 */
export class SpareBuffers<T extends { readonly byteLength: number }> {
  private readonly spare = new Map<number, T[]>();
  private bytes = 0;

  constructor(
    /** Most bytes kept; buffers handed back beyond it are left to the collector. */
    private readonly maxBytes: number,
    private readonly make: (byteLength: number) => T,
  ) {}

  /** A kept buffer of that length, or a new one. */
  take(byteLength: number): T {
    const reused = this.spare.get(byteLength)?.pop();
    if (reused === undefined) return this.make(byteLength);
    this.bytes -= byteLength;
    return reused;
  }

  /** Keeps a buffer no one views any more, when there is room. */
  giveBack(buffer: T): void {
    if (this.bytes + buffer.byteLength > this.maxBytes) return;
    const list = this.spare.get(buffer.byteLength) ?? [];
    list.push(buffer);
    this.spare.set(buffer.byteLength, list);
    this.bytes += buffer.byteLength;
  }

  clear(): void {
    this.spare.clear();
    this.bytes = 0;
  }
}

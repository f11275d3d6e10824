/**
 * Which model addresses a debug session is attached to, and whether it is paused: the panel reads
 * it so that a request held at a breakpoint does not time out and says "paused in the debugger".
 * Plain data and listeners, no editor.
 */
export interface PauseInfo {
  /** The gRPC address of the model container being debugged. */
  readonly address: string;
  readonly paused: boolean;
  /** `breakpoint`, `step`, `exception` ... as debugpy says. */
  readonly reason?: string;
  /** `model.py:12`, when known. */
  readonly where?: string;
}

export class DebugState {
  private readonly attached = new Map<string, PauseInfo>();
  private readonly listeners = new Set<(info: PauseInfo) => void>();

  isAttached(address: string): boolean {
    return this.attached.has(address);
  }

  pause(address: string): PauseInfo | undefined {
    return this.attached.get(address);
  }

  attach(address: string): void {
    this.set({ address, paused: false });
  }

  detach(address: string): void {
    if (!this.attached.delete(address)) return;
    this.emit({ address, paused: false });
  }

  setPaused(address: string, paused: boolean, reason?: string, where?: string): void {
    if (!this.attached.has(address)) return;
    this.set({ address, paused, ...(reason !== undefined ? { reason } : {}), ...(where !== undefined ? { where } : {}) });
  }

  /** Calls `listener` on every change; returns the way to stop. */
  onDidChange(listener: (info: PauseInfo) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  dispose(): void {
    this.listeners.clear();
    this.attached.clear();
  }

  private set(info: PauseInfo): void {
    this.attached.set(info.address, info);
    this.emit(info);
  }

  private emit(info: PauseInfo): void {
    for (const l of [...this.listeners]) l(info);
  }
}

/** How long the panel lets a request run while its model is being debugged: a day. */
export const DEBUG_REQUEST_TIMEOUT_MS = 24 * 60 * 60 * 1000;

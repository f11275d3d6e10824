/**
 * The engine's event stream, for PyML's containers and for images: what the tree refreshes on,
 * instead of polling. The stream ends when the engine stops; `onEnd` says so once.
 */
import type { Engine } from './engine';
import { JsonLines } from './jsonLines';
import { LABEL } from './labels';

export interface EngineEvent {
  readonly type: 'container' | 'image';
  /** `start`, `die`, `destroy`, `tag`, `delete` ... */
  readonly action: string;
  readonly id: string;
  readonly attributes: Readonly<Record<string, string>>;
}

/** The container actions that change what the tree shows. */
const CONTAINER_ACTIONS = ['create', 'start', 'die', 'stop', 'destroy', 'oom', 'rename'];
const IMAGE_ACTIONS = ['tag', 'untag', 'delete', 'import', 'load'];

export class EngineEvents {
  private readonly abort = new AbortController();
  private ended = false;

  private constructor(
    private readonly onEvent: (event: EngineEvent) => void,
    private readonly onEnd: (error: Error | undefined) => void,
  ) {}

  /** Subscribes; resolves once the engine has accepted the subscription. */
  static async subscribe(
    engine: Engine,
    onEvent: (event: EngineEvent) => void,
    onEnd: (error: Error | undefined) => void,
  ): Promise<EngineEvents> {
    const events = new EngineEvents(onEvent, onEnd);
    const stream = await engine.docker.getEvents({
      filters: { type: ['container', 'image'], event: [...CONTAINER_ACTIONS, ...IMAGE_ACTIONS] },
      abortSignal: events.abort.signal,
    } as Parameters<Engine['docker']['getEvents']>[0]);
    void events.read(stream);
    return events;
  }

  dispose(): void {
    this.ended = true;
    this.abort.abort();
  }

  private async read(stream: NodeJS.ReadableStream): Promise<void> {
    const lines = new JsonLines();
    let error: Error | undefined;
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        for (const value of lines.push(chunk)) {
          const event = toEvent(value);
          if (event) this.onEvent(event);
        }
      }
    } catch (err) {
      error = err instanceof Error ? err : new Error(String(err));
    }
    if (!this.ended) {
      this.ended = true;
      this.onEnd(error);
    }
  }
}

/** A PyML container's event, or any image event; undefined for the rest. */
export function toEvent(value: unknown): EngineEvent | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as { Type?: unknown; Action?: unknown; Actor?: { ID?: unknown; Attributes?: unknown } };
  const type = v.Type;
  if (type !== 'container' && type !== 'image') return undefined;
  const attributes = (typeof v.Actor?.Attributes === 'object' && v.Actor.Attributes !== null ? v.Actor.Attributes : {}) as Record<string, string>;
  if (type === 'container' && attributes[LABEL.name] === undefined) return undefined;
  const action = typeof v.Action === 'string' ? v.Action.split(':')[0] ?? v.Action : '';
  return { type, action, id: typeof v.Actor?.ID === 'string' ? v.Actor.ID : '', attributes };
}

import type { Engine, EngineEvent } from "../../src/engine/engine.js";

/** One handler per kind of engine event a test wants to see, each with its event's own type. */
export type EventHandlers = {
  [K in EngineEvent["kind"]]?: (event: Extract<EngineEvent, { kind: K }>) => void;
};

/** Subscribes `handlers` to the engine's events by kind. */
export function on(engine: Engine, handlers: EventHandlers): void {
  engine.subscribe((event) => {
    const handler = handlers[event.kind] as ((e: EngineEvent) => void) | undefined;
    handler?.(event);
  });
}

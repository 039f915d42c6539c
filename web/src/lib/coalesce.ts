/**
 * Runs `fn` at most once per `ms`, at the end of a burst: a rollout writes many events in a
 * second, and the page needs one refresh after them, not one per event.
 */
export interface Coalescer {
  (): void;
  cancel(): void;
}

export function coalesce(fn: () => void, ms: number): Coalescer {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const trigger = (() => {
    if (timer !== undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      fn();
    }, ms);
  }) as Coalescer;
  trigger.cancel = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  return trigger;
}

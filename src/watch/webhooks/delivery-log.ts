/**
 * Delivery ids already acted on, so a repeated delivery (a sender's retry, a "redeliver" click,
 * a replay of a captured request) is a no-op. The in-memory log is bounded: it forgets the
 * least recently seen id first. The store-backed log (which survives a restart) comes later.
 */

export interface DeliveryLog {
  seen(id: string): boolean;
  record(id: string, at: Date): void;
}

export const DEFAULT_DELIVERY_LOG_CAPACITY = 10_000;

export interface MemoryDeliveryLog extends DeliveryLog {
  size(): number;
}

export function createMemoryDeliveryLog(options: { capacity?: number } = {}): MemoryDeliveryLog {
  const capacity = Math.max(1, Math.floor(options.capacity ?? DEFAULT_DELIVERY_LOG_CAPACITY));
  // A Map iterates in insertion order: re-inserting on use keeps the least recent first.
  const ids = new Map<string, number>();
  return {
    seen(id) {
      const at = ids.get(id);
      if (at === undefined) return false;
      ids.delete(id);
      ids.set(id, at);
      return true;
    },
    record(id, at) {
      ids.delete(id);
      ids.set(id, at.getTime());
      while (ids.size > capacity) {
        const oldest = ids.keys().next();
        if (oldest.done === true) break;
        ids.delete(oldest.value);
      }
    },
    size: () => ids.size,
  };
}

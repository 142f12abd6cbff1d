import { useSyncExternalStore } from 'react';

/**
 * A change counter React can subscribe to. Models mutate in place (100,000 events are not
 * copied per update) and call `changed()`; notifications are coalesced to one per animation
 * frame so a burst of live events costs one render.
 */
export class Emitter {
  private listeners = new Set<() => void>();
  private scheduled = false;
  version = 0;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getVersion = (): number => this.version;

  changed(): void {
    this.version += 1;
    if (this.scheduled) return;
    this.scheduled = true;
    const run = (): void => {
      this.scheduled = false;
      for (const l of [...this.listeners]) l();
    };
    if (typeof requestAnimationFrame === 'function' && !document.hidden) requestAnimationFrame(run);
    else setTimeout(run, 0);
  }
}

/** Re-renders the component when the emitter changes; returns the version. */
export function useEmitter(e: Emitter): number {
  return useSyncExternalStore(e.subscribe, e.getVersion, e.getVersion);
}

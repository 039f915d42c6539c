/**
 * The agent's state no older than `maxAgeMs`, for readers that show health to people (the
 * dashboard's overview): the watch loop reads every 5 s, which let a service the CLI already
 * showed ready look unready on the overview for that long. Concurrent callers share one read;
 * a failed read falls back to the newest one there is.
 */
import type { AgentState } from '../agent/protocol.js';

export interface TimedState {
  state: AgentState;
  at: number;
}

export class FreshAgentState {
  private latest: TimedState | undefined;
  private inFlight: Promise<TimedState | undefined> | undefined;

  constructor(
    private readonly read: () => Promise<AgentState>,
    /** The watch loop's last read, when newer than ours. */
    private readonly observed: () => TimedState | undefined,
    private readonly now: () => number,
    private readonly maxAgeMs = 1000,
  ) {}

  get(): Promise<TimedState | undefined> {
    const newest = this.newest();
    if (newest !== undefined && this.now() - newest.at < this.maxAgeMs) return Promise.resolve(newest);
    this.inFlight ??= this.read().then(
      (state) => {
        this.inFlight = undefined;
        this.latest = { state, at: this.now() };
        return this.latest;
      },
      () => {
        this.inFlight = undefined;
        return this.newest();
      },
    );
    return this.inFlight;
  }

  private newest(): TimedState | undefined {
    const seen = this.observed();
    if (seen === undefined) return this.latest;
    if (this.latest === undefined) return seen;
    return seen.at > this.latest.at ? seen : this.latest;
  }
}

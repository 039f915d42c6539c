import { describe, expect, it } from 'vitest';
import type { AgentState } from '../agent/protocol.js';
import { FreshAgentState } from './fresh-agent-state.js';

const state = (pid: number): AgentState => ({ pid, startedAt: '', listeners: [], instances: [] });

describe('FreshAgentState (fake agent, fake clock)', () => {
  it('reads the agent when the newest read is older than the max age, one read for concurrent callers', async () => {
    let now = 10_000;
    let reads = 0;
    let observed: { state: AgentState; at: number } | undefined = { state: state(1), at: 9_000 };
    const fresh = new FreshAgentState(
      async () => state(100 + ++reads),
      () => observed,
      () => now,
      1000,
    );
    const [a, b] = await Promise.all([fresh.get(), fresh.get()]);
    expect(reads).toBe(1);
    expect(a).toBe(b);
    expect(a?.state.pid).toBe(101);
    // Within the max age: no read.
    now += 500;
    expect((await fresh.get())?.state.pid).toBe(101);
    expect(reads).toBe(1);
    // The watch loop read since: its read is the newest.
    observed = { state: state(2), at: now };
    expect((await fresh.get())?.state.pid).toBe(2);
    expect(reads).toBe(1);
  });

  it('falls back to the newest read when the agent cannot be read', async () => {
    const observed = { state: state(7), at: 0 };
    const fresh = new FreshAgentState(
      async () => {
        throw new Error('agent gone');
      },
      () => observed,
      () => 60_000,
    );
    expect(await fresh.get()).toBe(observed);
  });
});

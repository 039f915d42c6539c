import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../store/repositories/events.js';
import { notificationFromEvent, summarize } from './from-event.js';

const event = (type: string, data: Record<string, unknown>, id = 7): StoredEvent => ({
  id,
  at: '2025-03-01T12:00:00.000Z',
  type,
  subjectKind: 'deployment',
  subjectId: 'd-1',
  data,
});

const context = { environment: 'production', release: 'r12-ab12cd3' };

describe('notificationFromEvent', () => {
  it('turns an aborted rollout into the line owners read, with a stable id', () => {
    const n = notificationFromEvent(
      event('rollout.aborted', {
        rollout: 'ro-1',
        service: 'web',
        from: 'progressing',
        step: 1,
        reason: 'error rate 31% > 1%',
      }),
      context,
    );
    expect(n).toEqual({
      id: 'tandem-event-7',
      type: 'rollout.aborted',
      at: '2025-03-01T12:00:00.000Z',
      environment: 'production',
      service: 'web',
      release: 'r12-ab12cd3',
      summary: 'production: web rollout of r12-ab12cd3 aborted — error rate 31% > 1%',
      data: { rollout: 'ro-1', service: 'web', from: 'progressing', step: 1, reason: 'error rate 31% > 1%' },
    });
  });

  it('maps entering progressing to started (from pending or approval) or a step (resumed)', () => {
    expect(notificationFromEvent(event('rollout.progressing', { from: 'pending' }))?.type).toBe(
      'rollout.started',
    );
    expect(notificationFromEvent(event('rollout.progressing', { from: 'awaiting-approval' }))?.type).toBe(
      'rollout.started',
    );
    expect(notificationFromEvent(event('rollout.progressing', { from: 'paused', step: 2 }))?.type).toBe(
      'rollout.step',
    );
  });

  it('passes the other rollout states through and ignores everything else', () => {
    for (const type of [
      'rollout.paused',
      'rollout.awaiting-approval',
      'rollout.promoted',
      'rollout.rolled-back',
    ]) {
      expect(notificationFromEvent(event(type, {}))?.type).toBe(type);
    }
    for (const type of ['rollout.pending', 'deployment.started', 'secret.set', 'pipeline.run.started']) {
      expect(notificationFromEvent(event(type, {}))).toBeUndefined();
    }
  });

  it('takes environment and release from the event data when the caller has no context', () => {
    const n = notificationFromEvent(event('rollout.promoted', { environment: 'staging', release: 'r3' }));
    expect(n?.summary).toBe('staging: rollout of r3 promoted');
  });
});

describe('summarize', () => {
  it('names the step and weight of a canary step', () => {
    const base = { type: 'rollout.step' as const, at: '', environment: 'production', release: 'r12' };
    expect(summarize({ ...base, data: { step: 2, weight: 50 } })).toBe(
      'production: rollout of r12 at step 2 (50% of traffic)',
    );
    expect(summarize({ ...base, data: {} })).toBe('production: rollout of r12 moved on');
  });
});

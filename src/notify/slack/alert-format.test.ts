import { describe, expect, it } from 'vitest';
import { sampleNotification } from '../contract.js';
import type { AlertGroupData, AlertPayload } from '../types.js';
import { MAX_LISTED_ALERTS } from './alert-format.js';
import { slackMessage } from './format.js';

const payload = (over: Partial<AlertPayload> = {}): AlertPayload => ({
  status: 'firing',
  labels: { alertname: 'HighErrorRate', service: 'web', instance: 'web-1' },
  annotations: { summary: 'error rate 31% > 1%', runbook: 'https://runbooks.example/a' },
  startsAt: '2025-03-01T12:00:00.000Z',
  endsAt: '0001-01-01T00:00:00Z',
  fingerprint: 'f1',
  flapping: false,
  ...over,
});

const group = (alerts: AlertPayload[]): AlertGroupData => ({
  version: '4',
  groupKey: 'g',
  truncatedAlerts: 0,
  status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
  receiver: 'chat',
  groupLabels: {},
  commonLabels: { alertname: 'HighErrorRate', service: 'web' },
  commonAnnotations: {},
  alerts,
});

const alertList = (data: AlertGroupData, type: 'alert.firing' | 'alert.resolved' = 'alert.firing') => {
  const { blocks } = slackMessage(sampleNotification({ type, summary: 'x', data }));
  expect(blocks).toHaveLength(3);
  return (blocks![1] as { text: { text: string } }).text.text;
};

describe('slack message of an alert group', () => {
  it('lists each alert with its distinguishing labels, summary, runbook link and state', () => {
    const text = alertList(
      group([
        payload({ flapping: true }),
        payload({
          status: 'resolved',
          labels: { alertname: 'HighErrorRate', service: 'web', instance: 'web-2' },
          annotations: { runbook: 'javascript:alert(1)' },
        }),
      ]),
    );
    expect(text.split('\n')).toEqual([
      '• :red_circle: *HighErrorRate* _(flapping: changes held back until stable)_ `instance=web-1` — error rate 31% &gt; 1% · <https://runbooks.example/a|runbook>',
      '• :large_green_circle: *HighErrorRate* resolved `instance=web-2` · runbook: javascript:alert(1)',
    ]);
  });

  it('escapes markup in labels and summaries, so an alert cannot ping or link', () => {
    const text = alertList(
      group([payload({ labels: { alertname: '<!here>' }, annotations: { summary: '<http://x|y> & co' } })]),
    );
    expect(text).not.toContain('<!here>');
    expect(text).toContain('&lt;http://x|y&gt; &amp; co');
  });

  it('says how many it left out, and stays within the section limit', () => {
    const many = Array.from({ length: 50 }, (_, i) =>
      payload({
        fingerprint: `f${i}`,
        labels: { alertname: 'A', instance: `i-${i}` },
        annotations: { summary: 'y'.repeat(400) },
      }),
    );
    const text = alertList(group(many));
    expect(text.length).toBeLessThanOrEqual(3000);
    const lines = text.split('\n');
    expect(lines.length).toBeLessThanOrEqual(MAX_LISTED_ALERTS + 1);
    expect(lines.at(-1)).toBe(`… and ${50 - (lines.length - 1)} more`);
  });

  it('falls back to the plain message when the data is not an alert group', () => {
    const { blocks } = slackMessage(sampleNotification({ type: 'alert.firing', data: { whatever: 1 } }));
    expect(blocks).toHaveLength(2);
  });
});

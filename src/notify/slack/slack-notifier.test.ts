import { describe, expect, it } from 'vitest';
import { notifierContract, sampleNotification } from '../contract.js';
import { NOTIFICATION_TYPES } from '../types.js';
import { SLACK_EMOJI, slackMessage } from './format.js';
import { createSlackNotifier } from './slack-notifier.js';

notifierContract('slack', {
  create: (url, options) => createSlackNotifier({ url, ...options }),
  checkDelivery(received, n) {
    const body = JSON.parse(received.body.toString('utf8')) as { text: string; blocks?: unknown[] };
    expect(body).toEqual(slackMessage(n));
    expect(body.text.startsWith(SLACK_EMOJI[n.type])).toBe(true);
  },
});

describe('slack message', () => {
  it('is one human line with the emoji of the event', () => {
    const n = sampleNotification({
      summary: 'production: rollout of r12-ab12cd3 aborted — error rate 31% > 1%',
    });
    expect(slackMessage(n).text).toBe(
      ':rotating_light: production: rollout of r12-ab12cd3 aborted — error rate 31% &gt; 1%',
    );
  });

  it('escapes Slack markup, so a summary cannot ping @here or make links', () => {
    const { text, blocks } = slackMessage(sampleNotification({ summary: 'a <!here> & <http://x|y>' }));
    expect(text).toContain('a &lt;!here&gt; &amp; &lt;http://x|y&gt;');
    expect(JSON.stringify(blocks)).not.toContain('<!here>');
  });

  it('names environment, service and release in the context block', () => {
    const { blocks } = slackMessage(sampleNotification());
    expect(blocks?.[1]).toEqual({
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: 'environment *production* · service *web* · release `r12-ab12cd3` · `rollout.aborted`',
        },
      ],
    });
  });

  it('has an emoji for every notification type', () => {
    for (const type of NOTIFICATION_TYPES) expect(SLACK_EMOJI[type]).toMatch(/^:[a-z_]+:$/);
  });

  it('keeps a very long summary within Slack’s section limit', () => {
    const { blocks } = slackMessage(sampleNotification({ summary: 'x'.repeat(5000) }));
    const section = blocks?.[0] as { text: { text: string } };
    expect(section.text.text.length).toBeLessThanOrEqual(3000);
  });

  it('never names the hook path (its credential) in the notifier name', () => {
    const notifier = createSlackNotifier({ url: 'https://hooks.slack.com/services/T000/B000/XXXXSECRET' });
    expect(notifier.name).toBe('slack https://hooks.slack.com');
  });
});

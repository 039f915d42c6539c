import { isAlertNotificationType, type Notification, type NotificationType } from '../types.js';
import { alertGroupData, alertLines } from './alert-format.js';

/**
 * A notification as a Slack-compatible incoming-webhook message: `text` is the one line a
 * phone notification shows; `blocks` add the environment, service and release as context.
 * An alert group adds a section listing its alerts (summary, runbook link).
 * Mattermost, Rocket.Chat and Discord's /slack endpoint accept the same shape.
 */

export interface SlackMessage {
  text: string;
  blocks?: SlackBlock[];
}

export type SlackBlock =
  | { type: 'section'; text: { type: 'mrkdwn'; text: string } }
  | { type: 'context'; elements: Array<{ type: 'mrkdwn'; text: string }> };

export const SLACK_EMOJI: Record<NotificationType, string> = {
  'rollout.started': ':rocket:',
  'rollout.step': ':arrow_forward:',
  'rollout.paused': ':double_vertical_bar:',
  'rollout.awaiting-approval': ':raised_hand:',
  'rollout.promoted': ':white_check_mark:',
  'rollout.aborted': ':rotating_light:',
  'rollout.rolled-back': ':leftwards_arrow_with_hook:',
  'alert.firing': ':rotating_light:',
  'alert.resolved': ':white_check_mark:',
  'incident.opened': ':fire:',
  'incident.resolved': ':white_check_mark:',
};

/** Slack's limit for a section's text is 3000 characters. */
const MAX_SECTION_CHARS = 3000;

export function slackMessage(n: Notification): SlackMessage {
  const line = `${SLACK_EMOJI[n.type]} ${escapeMrkdwn(n.summary)}`;
  const context = [
    n.environment && `environment *${escapeMrkdwn(n.environment)}*`,
    n.service && `service *${escapeMrkdwn(n.service)}*`,
    n.release && `release \`${escapeMrkdwn(n.release)}\``,
    `\`${n.type}\``,
  ].filter((part): part is string => typeof part === 'string' && part !== '');
  const blocks: SlackBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: truncate(line, MAX_SECTION_CHARS) } },
  ];
  const group = isAlertNotificationType(n.type) ? alertGroupData(n) : undefined;
  if (group !== undefined && group.alerts.length > 0) {
    const list = alertLines(group, escapeMrkdwn, MAX_SECTION_CHARS);
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: truncate(list, MAX_SECTION_CHARS) } });
  }
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: context.join(' · ') }] });
  return { text: line, blocks };
}

/** Slack reads `&`, `<` and `>` as markup (links, mentions); a summary must show them as text. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

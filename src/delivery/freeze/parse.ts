/**
 * Reads one `freeze:` entry of tandem.yaml. Grammar (case-insensitive; spaces around "-" and
 * "..", and "–" for "-", are accepted):
 *
 *   ENTRY  = BODY [ZONE]
 *   BODY   = DAY TIME "-" DAY TIME     "Fri 16:00-Mon 08:00"      one span a week; wraps over the week
 *          | DAYS [TIME "-" TIME]      "Sat-Sun", "Mon-Fri 22:00-06:00"
 *                                      whole days, or a span starting on each day; an end at or
 *                                      before the start is on the next day (crosses midnight)
 *          | TIME "-" TIME             "22:00-06:00"              every day
 *          | DATE [".." DATE]          "2026-12-24..2026-12-26"   whole days, both inclusive
 *   DAYS   = DAY or DAY "-" DAY (may wrap: "Fri-Mon"), several joined by ",": "Mon,Wed-Thu"
 *   DAY    = Mon Tue Wed Thu Fri Sat Sun, or the full name
 *   TIME   = H:MM or HH:MM from 00:00 to 23:59; 24:00 is accepted as an end
 *   ZONE   = an IANA time zone ("Europe/Paris", "UTC"); without one the environment's
 *            `timezone:` applies, else UTC
 *
 * Cron expressions are refused on purpose: cron names instants, a freeze needs a start and an
 * end, and the forms above already say "every weekday night" or "weekends" more readably.
 */
import type { FreezeWindow, ParseFreezeResult, Weekday, WeekTime } from './types.js';
import { dayOfIsoDate, normalizeTimeZone, unknownTimeZoneMessage } from './zone.js';

export const FREEZE_EXPECTED =
  'expected "Fri 16:00-Mon 08:00", "Sat-Sun" or "2026-12-24..2026-12-26", optionally followed by a time zone such as "Europe/Paris"';

const DAY_NAMES = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const FULL_DAY_NAMES = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];

/** Thrown inside the parser only, turned into `{ ok: false }` at the top. */
class FreezeSyntaxError extends Error {}

export function parseFreeze(text: string): ParseFreezeResult {
  try {
    return { ok: true, window: parseEntry(text) };
  } catch (err) {
    if (err instanceof FreezeSyntaxError) return { ok: false, error: err.message };
    throw err;
  }
}

function parseEntry(source: string): FreezeWindow {
  const collapsed = source.trim().replace(/\s+/g, ' ');
  if (collapsed === '') throw new FreezeSyntaxError(`empty freeze window: ${FREEZE_EXPECTED}`);
  if (looksLikeCron(collapsed)) {
    throw new FreezeSyntaxError(
      `freeze window "${source}" looks like a cron expression, which names instants rather than a span: write a range such as "Fri 16:00-Mon 08:00", "Mon-Fri 22:00-06:00" or "Sat-Sun" instead`,
    );
  }
  const normalized = collapsed
    .replace(/[–—]/g, '-')
    .replace(/ ?- ?/g, '-')
    .replace(/ ?\.\. ?/g, '..');
  const tokens = normalized.split(' ');
  const last = tokens[tokens.length - 1]!;
  let zone: string | undefined;
  let body = normalized;
  if (tokens.length > 1 && looksLikeZone(last)) {
    zone = normalizeTimeZone(last);
    if (zone === undefined) {
      throw new FreezeSyntaxError(`${unknownTimeZoneMessage(last)} (in freeze window "${source}")`);
    }
    body = tokens.slice(0, -1).join(' ');
  }
  const window = parseBody(body, { source });
  return zone === undefined ? window : { ...window, zone };
}

function parseBody(body: string, ctx: Ctx): FreezeWindow {
  const { source } = ctx;
  if (/^\d{4}-/.test(body)) return parseDates(body, ctx);

  const weekly = /^([a-z]+) (\S+)-([a-z]+) (\S+)$/i.exec(body);
  if (weekly !== null) {
    const start: WeekTime = { day: parseDay(weekly[1]!, ctx), minute: parseTime(weekly[2]!, 'start', ctx) };
    const endDay = parseDay(weekly[3]!, ctx);
    const endMinute = parseTime(weekly[4]!, 'end', ctx);
    // "Mon 24:00" is the same moment as "Tue 00:00".
    const end: WeekTime =
      endMinute === 1440
        ? { day: ((endDay + 1) % 7) as Weekday, minute: 0 }
        : { day: endDay, minute: endMinute };
    if (start.day === end.day && start.minute === end.minute) {
      throw new FreezeSyntaxError(
        `freeze window "${source}" starts and ends at the same moment: give a different end, or write "Mon-Sun" to freeze every day`,
      );
    }
    return { kind: 'weekly', source, start, end };
  }

  const daysWithTimes = /^([a-z,-]+) (\S+)-(\S+)$/i.exec(body);
  if (daysWithTimes !== null) {
    return dailySpan(parseDays(daysWithTimes[1]!, ctx), daysWithTimes[2]!, daysWithTimes[3]!, ctx);
  }

  const timesOnly = /^(\d\S*)-(\d\S*)$/.exec(body);
  if (timesOnly !== null) return dailySpan([0, 1, 2, 3, 4, 5, 6], timesOnly[1]!, timesOnly[2]!, ctx);

  // Letters only: days, unless no word is a day at all ("whenever"), which is no form we know.
  if (/^[a-z,-]+$/i.test(body) && body.split(/[,-]/).some(isDayName)) {
    return { kind: 'daily', source, days: parseDays(body, ctx), startMinute: 0, endMinute: 1440 };
  }

  throw new FreezeSyntaxError(`cannot read freeze window "${source}": ${FREEZE_EXPECTED}`);
}

interface Ctx {
  source: string;
}

function dailySpan(days: Weekday[], startText: string, endText: string, ctx: Ctx): FreezeWindow {
  const startMinute = parseTime(startText, 'start', ctx);
  let endMinute = parseTime(endText, 'end', ctx);
  // An end at 00:00 is the following midnight, the same as 24:00.
  if (endMinute === 0) endMinute = 1440;
  if (endMinute === startMinute) {
    throw new FreezeSyntaxError(
      `freeze window "${ctx.source}" starts and ends at ${startText}: give a different end (a range may cross midnight, as in "Mon-Fri 22:00-06:00"), or only the days for whole days ("Sat-Sun")`,
    );
  }
  return { kind: 'daily', source: ctx.source, days, startMinute, endMinute };
}

function parseDates(body: string, ctx: Ctx): FreezeWindow {
  const parts = body.split('..');
  if (parts.length > 2)
    throw new FreezeSyntaxError(`cannot read freeze window "${ctx.source}": ${FREEZE_EXPECTED}`);
  const from = parts[0]!;
  const to = parts[1] ?? from;
  for (const date of [from, to]) {
    if (dayOfIsoDate(date) === undefined) {
      throw new FreezeSyntaxError(
        `invalid date "${date}" in freeze window "${ctx.source}": expected a calendar date as YYYY-MM-DD, such as "2026-12-24"`,
      );
    }
  }
  if (dayOfIsoDate(to)! < dayOfIsoDate(from)!) {
    throw new FreezeSyntaxError(
      `freeze window "${ctx.source}" ends before it starts: write the earlier date first, as in "${to}..${from}"`,
    );
  }
  return { kind: 'dates', source: ctx.source, from, to };
}

function parseDays(text: string, ctx: Ctx): Weekday[] {
  const days = new Set<Weekday>();
  for (const item of text.split(',')) {
    const ends = item.split('-');
    if (ends.length > 2) {
      throw new FreezeSyntaxError(
        `cannot read days "${item}" in freeze window "${ctx.source}": expected a day such as "Sat" or a range such as "Mon-Fri"`,
      );
    }
    const first = parseDay(ends[0]!, ctx);
    const last = parseDay(ends[1] ?? ends[0]!, ctx);
    // Ranges may wrap over the week: "Fri-Mon" is Fri, Sat, Sun, Mon.
    for (let day = first; ; day = ((day + 1) % 7) as Weekday) {
      days.add(day);
      if (day === last) break;
    }
  }
  return [...days].sort((a, b) => a - b);
}

function parseDay(text: string, ctx: Ctx): Weekday {
  const lower = text.toLowerCase();
  let index = DAY_NAMES.indexOf(lower);
  if (index < 0) index = FULL_DAY_NAMES.indexOf(lower);
  if (index < 0) {
    throw new FreezeSyntaxError(
      `unknown day "${text}" in freeze window "${ctx.source}": expected Mon, Tue, Wed, Thu, Fri, Sat or Sun`,
    );
  }
  return index as Weekday;
}

/** Minutes since midnight; 1440 ("24:00") only for an end. */
function parseTime(text: string, role: 'start' | 'end', ctx: Ctx): number {
  const match = /^(\d{1,2}):(\d{2})$/.exec(text);
  const hour = match === null ? Number.NaN : Number(match[1]);
  const minute = match === null ? Number.NaN : Number(match[2]);
  const valid = hour < 24 ? minute < 60 : hour === 24 && minute === 0 && role === 'end';
  if (!valid) {
    throw new FreezeSyntaxError(
      `invalid ${role} time "${text}" in freeze window "${ctx.source}": expected HH:MM from 00:00 to 23:59 (24:00 is allowed as an end)`,
    );
  }
  return hour * 60 + minute;
}

/** Five or six space-separated cron fields, or any "*". */
function looksLikeCron(text: string): boolean {
  if (text.includes('*')) return true;
  const fields = text.split(' ');
  return (fields.length === 5 || fields.length === 6) && fields.every((field) => /^[\d,/?-]+$/.test(field));
}

/** The last token names a zone unless it reads as part of a window: a time or date (IANA names start with a letter) or days. */
function looksLikeZone(token: string): boolean {
  if (/^\d/.test(token)) return false;
  return !/^[a-z,-]+$/i.test(token) || !token.split(/[,-]/).every(isDayName);
}

function isDayName(text: string): boolean {
  const lower = text.toLowerCase();
  return DAY_NAMES.includes(lower) || FULL_DAY_NAMES.includes(lower);
}

import { randomBytes } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { TandemError } from '../../errors.js';
import { unknownIdError } from '../../util/did-you-mean.js';
import type { Database, SilencesTable } from '../database.js';
import type { DbHandle, EventsRepository } from './events.js';

export const MATCH_OPS = ['=', '!=', '=~'] as const;
export type MatchOp = (typeof MATCH_OPS)[number];

/** One label condition; `=~` is a regular expression matched against the whole value. */
export interface SilenceMatcher {
  label: string;
  op: MatchOp;
  value: string;
}

export interface Silence {
  /** `sil-<8 hex>`. */
  id: string;
  matchers: SilenceMatcher[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
  createdAt: string;
  /** When it was expired by hand, before `endsAt`; null otherwise. */
  expiredAt: string | null;
  expiredBy: string | null;
}

export interface NewSilence {
  matchers: SilenceMatcher[];
  /** Now by default. */
  startsAt?: Date;
  endsAt: Date;
  createdBy: string;
  comment: string;
  at?: Date;
}

/**
 * Silences (`tandem silence`). Each write is one transaction with its event (subject `silence` /
 * id): `silence.created`, `silence.expired`. A silence ends on its own at `endsAt`; `expire`
 * ends it earlier.
 */
export interface SilencesRepository {
  /** Refuses empty matchers, an unknown op, a bad regex or an end not after the start (TANDEM_SILENCE_INVALID). */
  create(input: NewSilence): Promise<Silence>;
  /**
   * Ends a silence now. Unknown → TANDEM_SILENCE_NOT_FOUND; already expired or past its end →
   * TANDEM_SILENCE_EXPIRED.
   */
  expire(id: string, by: string, at?: Date): Promise<Silence>;
  get(id: string): Promise<Silence | undefined>;
  /** With `active`, only the silences in force at that time; newest first; 100 by default. */
  list(query?: { active?: Date; limit?: number }): Promise<Silence[]>;
}

const SUBJECT = 'silence';

/** True when `s` mutes notifications at `now`. */
export function isSilenceActive(s: Silence, now: Date): boolean {
  const t = now.toISOString();
  return s.expiredAt === null && s.startsAt <= t && t < s.endsAt;
}

export function createSilencesRepository(db: Kysely<Database>, events: EventsRepository): SilencesRepository {
  const notFound = async (handle: DbHandle, id: string) => {
    const rows = await handle
      .selectFrom('silences')
      .select('id')
      .orderBy('created_at', 'desc')
      .limit(1000)
      .execute();
    return unknownIdError({
      code: 'TANDEM_SILENCE_NOT_FOUND',
      what: 'silence',
      id,
      known: rows.map((r) => r.id),
      list: 'tandem silence list',
    });
  };

  return {
    async create(input) {
      const at = input.at ?? new Date();
      const startsAt = input.startsAt ?? at;
      validate(input, startsAt, at);
      return db.transaction().execute(async (trx) => {
        let id = newSilenceId();
        while (await trx.selectFrom('silences').select('id').where('id', '=', id).executeTakeFirst()) {
          id = newSilenceId();
        }
        const row: Selectable<SilencesTable> = {
          id,
          matchers: JSON.stringify(input.matchers.map(({ label, op, value }) => ({ label, op, value }))),
          starts_at: startsAt.toISOString(),
          ends_at: input.endsAt.toISOString(),
          created_by: input.createdBy,
          comment: input.comment,
          created_at: at.toISOString(),
          expired_at: null,
          expired_by: null,
        };
        await trx.insertInto('silences').values(row).execute();
        const silence = toSilence(row);
        await events.append(trx, {
          type: 'silence.created',
          subjectKind: SUBJECT,
          subjectId: id,
          at,
          data: {
            matchers: silence.matchers,
            startsAt: silence.startsAt,
            endsAt: silence.endsAt,
            createdBy: silence.createdBy,
            comment: silence.comment,
          },
        });
        return silence;
      });
    },

    expire(id, by, at = new Date()) {
      const key = id.trim();
      return db.transaction().execute(async (trx) => {
        const row = await trx.selectFrom('silences').selectAll().where('id', '=', key).executeTakeFirst();
        if (row === undefined) throw await notFound(trx, key);
        const iso = at.toISOString();
        if (row.expired_at !== null || row.ends_at <= iso) {
          const when =
            row.expired_at === null
              ? `ended at ${row.ends_at}`
              : `was expired at ${row.expired_at} by ${row.expired_by}`;
          throw new TandemError('TANDEM_SILENCE_EXPIRED', `silence ${key} already ${when}; nothing to do`);
        }
        const values = { expired_at: iso, expired_by: by };
        await trx.updateTable('silences').set(values).where('id', '=', key).execute();
        await events.append(trx, {
          type: 'silence.expired',
          subjectKind: SUBJECT,
          subjectId: key,
          at,
          data: { by, endsAt: row.ends_at },
        });
        return toSilence({ ...row, ...values });
      });
    },

    async get(id) {
      const row = await db.selectFrom('silences').selectAll().where('id', '=', id.trim()).executeTakeFirst();
      return row && toSilence(row);
    },

    async list(query = {}) {
      let q = db.selectFrom('silences').selectAll();
      if (query.active !== undefined) {
        const iso = query.active.toISOString();
        q = q.where('expired_at', 'is', null).where('starts_at', '<=', iso).where('ends_at', '>', iso);
      }
      const rows = await q
        .orderBy('created_at', 'desc')
        .orderBy('id')
        .limit(query.limit ?? 100)
        .execute();
      return rows.map(toSilence);
    },
  };
}

function newSilenceId(): string {
  return `sil-${randomBytes(4).toString('hex')}`;
}

function validate(input: NewSilence, startsAt: Date, at: Date): void {
  const invalid = (why: string) =>
    new TandemError('TANDEM_SILENCE_INVALID', `cannot create the silence: ${why}`, { exitCode: 2 });
  if (input.matchers.length === 0) {
    throw invalid('give at least one matcher, e.g. service=web (an empty silence would mute everything)');
  }
  for (const m of input.matchers) {
    if (m.label.trim() === '') throw invalid(`matcher ${JSON.stringify(m)} has no label`);
    if (!(MATCH_OPS as readonly string[]).includes(m.op)) {
      throw invalid(
        `matcher ${m.label}${m.op}${m.value}: the operator must be one of ${MATCH_OPS.join(' ')}`,
      );
    }
    if (m.op === '=~') {
      try {
        new RegExp(`^(?:${m.value})$`);
      } catch (err) {
        throw invalid(
          `matcher ${m.label}=~${m.value} is not a valid regular expression (${(err as Error).message})`,
        );
      }
    }
  }
  if (Number.isNaN(startsAt.getTime()) || Number.isNaN(input.endsAt.getTime()))
    throw invalid('invalid start or end time');
  if (input.endsAt <= startsAt)
    throw invalid(`it ends (${input.endsAt.toISOString()}) before it starts (${startsAt.toISOString()})`);
  if (input.endsAt <= at) throw invalid(`it ends (${input.endsAt.toISOString()}) in the past`);
}

function toSilence(r: Selectable<SilencesTable>): Silence {
  return {
    id: r.id,
    matchers: JSON.parse(r.matchers) as SilenceMatcher[],
    startsAt: r.starts_at,
    endsAt: r.ends_at,
    createdBy: r.created_by,
    comment: r.comment,
    createdAt: r.created_at,
    expiredAt: r.expired_at,
    expiredBy: r.expired_by,
  };
}

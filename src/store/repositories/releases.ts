import type { Kysely, Selectable } from 'kysely';
import { TandemError } from '../../errors.js';
import type { Database, ReleaseStatus, ReleasesTable } from '../database.js';
import type { DbHandle, EventsRepository } from './events.js';

/** An immutable release as stored (see ReleasesTable). */
export interface StoredRelease {
  /** `r<seq>-<7-char commit>`. */
  id: string;
  seq: number;
  project: string;
  commit: string;
  ref: string | null;
  runId: string | null;
  /** The release's project directory, relative to the project's `.tandem` directory (posix). */
  dir: string;
  /** JSON of `{ services, environments }` the release runs with. */
  config: string;
  status: ReleaseStatus;
  reason: string | null;
  createdAt: string;
  finishedAt: string | null;
}

export interface NewRelease {
  project: string;
  commit: string;
  ref: string | null;
  config: string;
  /** Where the release lives, from its id (decided in the same transaction as the id). */
  dir: (id: string) => string;
}

/**
 * Releases. Each write is one transaction with its event (`release.created`, `release.ready`,
 * `release.failed`; subject `release` / id). A release is `building` until its pipeline is green
 * (`ready`) or anything fails (`failed`); a finished release never changes again.
 */
export interface ReleasesRepository {
  /** Inserts a `building` release with the next sequence number and its `release.created` event. */
  create(input: NewRelease, at?: Date): Promise<StoredRelease>;
  /** building → ready, recording the green pipeline run. */
  markReady(id: string, runId: string, at?: Date): Promise<StoredRelease>;
  /** building → failed, with a reason the user can act on. */
  markFailed(id: string, reason: string, at?: Date): Promise<StoredRelease>;
  get(id: string): Promise<StoredRelease | undefined>;
  /** Newest first (by sequence number); 20 by default. */
  list(opts?: { limit?: number }): Promise<StoredRelease[]>;
  /** The newest ready release, if any. */
  latestReady(): Promise<StoredRelease | undefined>;
  /** The newest ready release of `commit` built with exactly `config`, to reuse instead of rebuilding. */
  findReadyByCommitAndConfig(commit: string, config: string): Promise<StoredRelease | undefined>;
  /** The sequence number the next release will get. */
  nextSeq(): Promise<number>;
}

/** Release ids: `r<seq>-<7 hex>`. Anything else is refused before it can name a path. */
export const RELEASE_ID_PATTERN = /^r[1-9][0-9]{0,15}-[0-9a-f]{7}$/;

export function releaseId(seq: number, commit: string): string {
  return `r${seq}-${commit.slice(0, 7).toLowerCase()}`;
}

export function isReleaseId(value: string): boolean {
  return RELEASE_ID_PATTERN.test(value);
}

/** The sequence number in a release id (ids sort by it, not as text: r10 is newer than r9). */
export function releaseSeq(id: string): number {
  return Number(/^r(\d+)-/.exec(id)?.[1] ?? Number.NaN);
}

const SUBJECT = 'release';

export function createReleasesRepository(db: Kysely<Database>, events: EventsRepository): ReleasesRepository {
  const nextSeqIn = async (handle: DbHandle) => {
    const { max } = await handle
      .selectFrom('releases')
      .select((eb) => eb.fn.max<number | null>('seq').as('max'))
      .executeTakeFirstOrThrow();
    return Number(max ?? 0) + 1;
  };

  /** building → `status`, with its event, in one transaction. */
  const finish = (
    id: string,
    values: { status: 'ready'; run_id: string } | { status: 'failed'; reason: string },
    at: Date,
  ) =>
    db.transaction().execute(async (trx) => {
      const { numUpdatedRows } = await trx
        .updateTable('releases')
        .set({ ...values, finished_at: at.toISOString() })
        .where('id', '=', id)
        .where('status', '=', 'building')
        .executeTakeFirst();
      if (numUpdatedRows === 0n) {
        const row = await trx.selectFrom('releases').select('status').where('id', '=', id).executeTakeFirst();
        throw row
          ? new TandemError(
              'TANDEM_RELEASE_FINISHED',
              `release ${id} is already ${row.status}; a finished release never changes`,
            )
          : new TandemError('TANDEM_RELEASE_UNKNOWN', `no release ${id} in the store`);
      }
      const data = values.status === 'ready' ? { runId: values.run_id } : { reason: values.reason };
      await events.append(trx, {
        type: `release.${values.status}`,
        subjectKind: SUBJECT,
        subjectId: id,
        at,
        data,
      });
      const row = await trx.selectFrom('releases').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      return toRelease(row);
    });

  return {
    create(input, at = new Date()) {
      return db.transaction().execute(async (trx) => {
        const seq = await nextSeqIn(trx);
        const id = releaseId(seq, input.commit);
        const row = {
          id,
          seq,
          project: input.project,
          commit: input.commit,
          ref: input.ref,
          run_id: null,
          dir: input.dir(id),
          config: input.config,
          status: 'building' as const,
          reason: null,
          created_at: at.toISOString(),
          finished_at: null,
        };
        await trx.insertInto('releases').values(row).execute();
        await events.append(trx, {
          type: 'release.created',
          subjectKind: SUBJECT,
          subjectId: id,
          at,
          data: { project: row.project, commit: row.commit, ref: row.ref, dir: row.dir },
        });
        return toRelease(row);
      });
    },

    markReady(id, runId, at = new Date()) {
      return finish(id, { status: 'ready', run_id: runId }, at);
    },

    markFailed(id, reason, at = new Date()) {
      return finish(id, { status: 'failed', reason }, at);
    },

    async get(id) {
      const row = await db.selectFrom('releases').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toRelease(row);
    },

    async list(opts = {}) {
      const rows = await db
        .selectFrom('releases')
        .selectAll()
        .orderBy('seq', 'desc')
        .limit(opts.limit ?? 20)
        .execute();
      return rows.map(toRelease);
    },

    async latestReady() {
      const row = await db
        .selectFrom('releases')
        .selectAll()
        .where('status', '=', 'ready')
        .orderBy('seq', 'desc')
        .limit(1)
        .executeTakeFirst();
      return row && toRelease(row);
    },

    async findReadyByCommitAndConfig(commit, config) {
      const row = await db
        .selectFrom('releases')
        .selectAll()
        .where('status', '=', 'ready')
        .where('commit', '=', commit)
        .where('config', '=', config)
        .orderBy('seq', 'desc')
        .limit(1)
        .executeTakeFirst();
      return row && toRelease(row);
    },

    nextSeq() {
      return nextSeqIn(db);
    },
  };
}

function toRelease(r: Selectable<ReleasesTable>): StoredRelease {
  return {
    id: r.id,
    seq: r.seq,
    project: r.project,
    commit: r.commit,
    ref: r.ref,
    runId: r.run_id,
    dir: r.dir,
    config: r.config,
    status: r.status,
    reason: r.reason,
    createdAt: r.created_at,
    finishedAt: r.finished_at,
  };
}

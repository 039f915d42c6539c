/**
 * Subjects, revisions and application series interned to small integers, cached in memory. A miss
 * looks in the file before inserting, so a file another process also writes stays consistent
 * (inserts run inside the caller's write transaction, which holds the file's write lock).
 */
import type { Subject } from '../types.js';
import type { Statements } from './statements.js';

export const KIND_GAUGE = 0;
export const KIND_COUNTER = 1;

const subjectKey = (s: Subject) => `${s.environment}\u0000${s.service}\u0000${s.instance}`;
const seriesKey = (kind: number, name: string, labels: string) => `${kind}\u0000${name}\u0000${labels}`;

export class Ids {
  readonly #st: Statements;
  readonly #subjects = new Map<string, number>();
  readonly #revisionIds = new Map<string, number>();
  readonly #revisionNames = new Map<number, string>();
  readonly #series = new Map<string, number>();
  readonly #kinds = new Map<number, number>();

  constructor(st: Statements) {
    this.#st = st;
    this.load();
  }

  /** (Re)loads every id: at open, and after a failed write (the ids it created were rolled back). */
  load(): void {
    this.#subjects.clear();
    for (const [id, environment, service, instance] of this.#st.allSubjects.all() as [
      number,
      string,
      string,
      string,
    ][]) {
      this.#subjects.set(subjectKey({ environment, service, instance }), id);
    }
    this.#revisionIds.clear();
    this.#revisionNames.clear();
    for (const [id, name] of this.#st.allRevisions.all() as [number, string][]) this.#cacheRevision(id, name);
    this.#series.clear();
    this.#kinds.clear();
    for (const [id, name, labels, kind] of this.#st.allSeries.all() as [number, string, string, number][]) {
      this.#series.set(seriesKey(kind, name, labels), id);
      this.#kinds.set(id, kind);
    }
  }

  /** The subject's id; with `create`, a new one when it has none (inside a write transaction). */
  subject(s: Subject, create: true): number;
  subject(s: Subject, create: false): number | undefined;
  subject(s: Subject, create: boolean): number | undefined {
    const key = subjectKey(s);
    let id = this.#subjects.get(key);
    if (id !== undefined) return id;
    id = this.#st.subjectId.get(s.environment, s.service, s.instance) as number | undefined;
    if (id === undefined && create) {
      id = Number(this.#st.insertSubject.run(s.environment, s.service, s.instance).lastInsertRowid);
    }
    if (id !== undefined) this.#subjects.set(key, id);
    return id;
  }

  revision(name: string): number {
    let id = this.#revisionIds.get(name);
    if (id === undefined) {
      id =
        (this.#st.revisionId.get(name) as number | undefined) ??
        Number(this.#st.insertRevision.run(name).lastInsertRowid);
      this.#cacheRevision(id, name);
    }
    return id;
  }

  revisionName(id: number): string | undefined {
    let name = this.#revisionNames.get(id);
    if (name === undefined) {
      name = this.#st.revisionName.get(id) as string | undefined;
      if (name !== undefined) this.#cacheRevision(id, name);
    }
    return name;
  }

  series(kind: 'counter' | 'gauge', name: string, labels: string): number {
    const k = kind === 'counter' ? KIND_COUNTER : KIND_GAUGE;
    const key = seriesKey(k, name, labels);
    let id = this.#series.get(key);
    if (id === undefined) {
      id =
        (this.#st.seriesId.get(name, labels, k) as number | undefined) ??
        Number(this.#st.insertSeries.run(name, labels, k).lastInsertRowid);
      this.#series.set(key, id);
      this.#kinds.set(id, k);
    }
    return id;
  }

  isCounter(seriesId: number): boolean {
    let kind = this.#kinds.get(seriesId);
    if (kind === undefined) {
      kind = this.#st.seriesKind.get(seriesId) as number | undefined;
      if (kind !== undefined) this.#kinds.set(seriesId, kind);
    }
    return kind === KIND_COUNTER;
  }

  #cacheRevision(id: number, name: string): void {
    this.#revisionIds.set(name, id);
    this.#revisionNames.set(id, name);
  }
}

import type { JobResult, PlannedJob } from '../types.js';

/**
 * What the scheduler needs from the outside world, as small interfaces so the scheduling
 * logic is tested with fakes and a fake clock, and the CLI wires the real adapters.
 */

export interface CacheLookup {
  key: string;
  /** Present on a hit: the masked log to replay and a way to put the outputs back. */
  hit?: { log: string; restore(): Promise<void> };
  /** Why it missed, filled when explaining was asked for. */
  missReasons?: string[];
}

export interface JobCache {
  /** Computes the job's key from its spec, env, inputs and needed keys, and looks it up. */
  lookup(
    job: PlannedJob,
    neededKeys: Record<string, string>,
    opts: { read: boolean; explain: boolean },
  ): Promise<CacheLookup>;
  /** Files may have changed (a command starts or ends): input hashes must be taken afresh. */
  treeMayChange?(): void;
  /** Stores a passed job's masked log and outputs under its key. Never throws: a cache is optional. */
  save(job: PlannedJob, key: string, log: string): Promise<void>;
}

/** A job's masked log, kept per job. */
export interface JobLog {
  append(text: string): void;
  /** Closes it; returns its path relative to the project root, or null when not kept. */
  close(): Promise<string | null>;
}

/** Progress for people (the CLI's reporter) — never affects the outcome. */
export interface RunObserver {
  jobStarted?(job: PlannedJob, attempt: number): void;
  /** Masked output of a running job (or a replayed log), in arrival order. */
  jobOutput?(job: PlannedJob, text: string, replayed: boolean): void;
  cacheMissExplained?(job: PlannedJob, reasons: string[]): void;
  attemptFailed?(job: PlannedJob, attempt: number, willRetry: boolean, why: string): void;
  jobFinished?(job: PlannedJob, result: JobResult): void;
}

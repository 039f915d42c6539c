import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ConfigIssue, ConfigPath } from './errors.js';
import type { LoadedConfig } from './loaded-config.js';
import type { Config } from './schema.js';

/**
 * The validated config of an unchanged tandem.yaml, with the position of every value, kept in
 * `.tandem/config-snapshot.json`. Reading YAML and checking it against the schema (and loading
 * yaml and zod to do so) was a fifth of a fully cached `tandem run`; a snapshot is used only for
 * the same file, the same bytes and the same build of Tandem, so it can never disagree with a
 * fresh reading. Position-less callers (`validate`) always read afresh.
 */

/** Set by the build (scripts/build.mjs); absent when running from source, which disables snapshots. */
declare const __TANDEM_BUILD_ID__: string | undefined;
const buildId = typeof __TANDEM_BUILD_ID__ === 'string' ? __TANDEM_BUILD_ID__ : undefined;
const FORMAT = 1;

interface Snapshot {
  format: number;
  build: string;
  file: string;
  sha256: string;
  config: Config;
  /** [JSON of the value's path, line, col] for every value in the config. */
  positions: Array<[string, number, number]>;
}

function snapshotPath(file: string): string {
  return path.join(path.dirname(file), '.tandem', 'config-snapshot.json');
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The snapshot's LoadedConfig when it matches this file and text exactly; else undefined. */
export async function readSnapshot(
  file: string,
  shown: string,
  text: string,
): Promise<LoadedConfig | undefined> {
  if (buildId === undefined) return undefined;
  let snapshot: Snapshot;
  try {
    snapshot = JSON.parse(await readFile(snapshotPath(file), 'utf8')) as Snapshot;
  } catch {
    return undefined;
  }
  const matches =
    snapshot.format === FORMAT &&
    snapshot.build === buildId &&
    snapshot.file === file &&
    snapshot.sha256 === digest(text) &&
    typeof snapshot.config === 'object' &&
    Array.isArray(snapshot.positions);
  if (!matches) return undefined;
  const positions = new Map(snapshot.positions.map(([p, line, col]) => [p, { line, col }]));
  const positionOf = (at: ConfigPath) => {
    for (let depth = at.length; depth >= 0; depth--) {
      const found = positions.get(JSON.stringify(at.slice(0, depth)));
      if (found) return found;
    }
    return { line: 1, col: 1 };
  };
  return {
    file,
    dir: path.dirname(file),
    config: snapshot.config,
    positionOf,
    issueAt(at, message, extra) {
      const { line, col } = positionOf(at);
      const issue: ConfigIssue = { file: shown, line, col, path: at, message };
      if (extra?.expected) issue.expected = extra.expected;
      if (extra?.suggestion) issue.suggestion = extra.suggestion;
      return issue;
    },
  };
}

/** Records a freshly validated config. Never fails the caller: a snapshot is only a shortcut. */
export async function writeSnapshot(loaded: LoadedConfig, _shown: string, text: string): Promise<void> {
  if (buildId === undefined) return;
  const positions: Snapshot['positions'] = [];
  const walk = (value: unknown, at: Array<string | number>) => {
    const { line, col } = loaded.positionOf(at);
    positions.push([JSON.stringify(at), line, col]);
    if (Array.isArray(value)) {
      for (const [i, item] of value.entries()) walk(item, [...at, i]);
    } else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) walk(item, [...at, key]);
    }
  };
  walk(loaded.config, []);
  const snapshot: Snapshot = {
    format: FORMAT,
    build: buildId,
    file: loaded.file,
    sha256: digest(text),
    config: loaded.config,
    positions,
  };
  const target = snapshotPath(loaded.file);
  const temp = `${target}.${process.pid}.tmp`;
  try {
    await mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
    await writeFile(temp, JSON.stringify(snapshot), { mode: 0o600 });
    await rename(temp, target);
  } catch {
    // Read-only project or full disk: the next run reads the YAML again.
  }
}

import { dirname, resolve } from 'node:path';
import { isAlias, LineCounter, parseDocument, visit, type YAMLError } from 'yaml';
import { ConfigError, type ConfigIssue, type ConfigPath } from './errors.js';
import type { LoadedConfig } from './loaded-config.js';
import { type Position, YamlPositions } from './positions.js';
import { configSchema } from './schema.js';
import { describeValue, mapZodIssues } from './zod-issues.js';

/**
 * The full reading of config text: YAML with positions, then the schema. Kept apart from
 * load.ts so that a run whose tandem.yaml has not changed (see config-snapshot.ts) never loads
 * yaml and zod at all.
 */

/**
 * Parses and validates config text (no file system). `file` is used as given in issues;
 * LoadedConfig.file is its absolute form. Throws only ConfigError.
 */
export function loadConfigFromString(text: string, file: string): LoadedConfig {
  return parseConfig(text, file, resolve(file));
}

export function parseConfig(text: string, shown: string, absolute: string): LoadedConfig {
  try {
    return parseUnguarded(String(text), shown, absolute);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    // Last line of defence: whatever the input, the caller gets a ConfigError.
    const reason = err instanceof Error ? err.message : String(err);
    throw new ConfigError([
      {
        file: shown,
        line: 1,
        col: 1,
        path: [],
        message: `internal error while reading the config: ${reason}`,
      },
    ]);
  }
}

function byPosition(a: ConfigIssue, b: ConfigIssue): number {
  return a.line - b.line || a.col - b.col;
}

function fail(issues: ConfigIssue[]): never {
  const seen = new Set<string>();
  const unique = issues.filter((issue) => {
    const key = `${issue.line}:${issue.col}:${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  throw new ConfigError(unique.sort(byPosition));
}

/** yaml's message without its " at line X, column Y:" and source excerpt. */
function yamlMessage(error: YAMLError): string {
  const first = String(error.message ?? '').split('\n')[0] ?? '';
  return first.replace(/ at line \d+, column \d+:?\s*$/, '').trim() || 'invalid YAML';
}

function parseUnguarded(text: string, shown: string, absolute: string): LoadedConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true, logLevel: 'error' });
  const positions = new YamlPositions(doc, lineCounter, text.length);
  const issue = (at: Position, path: ConfigPath, message: string): ConfigIssue => ({
    file: shown,
    line: at.line,
    col: at.col,
    path,
    message,
  });

  // 1. YAML syntax. Duplicate keys leave a usable document: keep validating to report all.
  const issues: ConfigIssue[] = [];
  let fatal = false;
  const duplicates = doc.errors.some((e) => e.code === 'DUPLICATE_KEY') ? positions.duplicateKeys() : [];
  for (const { path, at } of duplicates)
    issues.push(issue(at, path, `duplicate key "${String(path.at(-1))}"`));
  for (const error of doc.errors) {
    const offset = Array.isArray(error.pos) ? error.pos[0] : undefined;
    const linePos = error.linePos?.[0];
    const at =
      linePos &&
      Number.isFinite(linePos.line) &&
      Number.isFinite(linePos.col) &&
      linePos.line >= 1 &&
      linePos.col >= 1
        ? { line: linePos.line, col: linePos.col }
        : positions.at(offset);
    const path = offset === undefined ? [] : positions.pathAt(offset);
    if (error.code === 'DUPLICATE_KEY') {
      // Located by our own walk above; yaml's offset is not always the key's.
      if (duplicates.length === 0) issues.push(issue(at, path, 'duplicate key'));
    } else {
      fatal = true;
      issues.push(issue(at, path, `invalid YAML: ${yamlMessage(error)}`));
    }
  }
  if (fatal) fail(issues);

  // 2. The document as plain data.
  if (doc.contents === null || doc.contents === undefined) {
    fail([
      ...issues,
      {
        ...issue({ line: 1, col: 1 }, [], 'the file is empty'),
        expected: 'a mapping with at least "project" and "pipeline"',
      },
    ]);
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    fail([...issues, aliasIssue(doc, positions, shown, err)]);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    fail([
      ...issues,
      {
        ...issue({ line: 1, col: 1 }, [], `expected a mapping at the top level, got ${describeValue(data)}`),
        expected: 'a mapping',
      },
    ]);
  }

  // 3. The schema.
  const result = configSchema.safeParse(data);
  if (!result.success) {
    issues.push(
      ...mapZodIssues(result.error.issues, {
        file: shown,
        schema: configSchema,
        data,
        valueOf: (path) => positions.valueOf(path),
        keyOf: (path) => positions.keyOf(path),
      }),
    );
  }
  if (issues.length > 0 || !result.success) fail(issues);

  return {
    file: absolute,
    dir: dirname(absolute),
    config: result.data,
    positionOf: (path) => positions.valueOf(path),
    issueAt: (path, message, extra) => {
      const at = positions.valueOf(path);
      const found: ConfigIssue = { file: shown, line: at.line, col: at.col, path, message };
      if (extra?.expected) found.expected = extra.expected;
      if (extra?.suggestion) found.suggestion = extra.suggestion;
      return found;
    },
  };
}

/** toJS throws for an alias without anchor or too many aliases: locate the alias when we can. */
function aliasIssue(
  doc: ReturnType<typeof parseDocument>,
  positions: YamlPositions,
  file: string,
  err: unknown,
): ConfigIssue {
  const reason = err instanceof Error ? err.message : String(err);
  let offset: number | undefined;
  const unresolved = /alias[^:]*:\s*(\S+)\s*$/i.exec(reason)?.[1];
  try {
    visit(doc, {
      Alias(_key, node) {
        if (!isAlias(node)) return undefined;
        if (unresolved === undefined || node.source === unresolved) {
          offset = node.range?.[0];
          return visit.BREAK;
        }
        return undefined;
      },
    });
  } catch {
    offset = undefined;
  }
  const at = positions.at(offset);
  const path = offset === undefined ? [] : positions.pathAt(offset);
  const message = unresolved
    ? `unknown alias "*${unresolved}": define the anchor "&${unresolved}" before using it`
    : `cannot read the YAML: ${reason}`;
  return { file, line: at.line, col: at.col, path, message };
}

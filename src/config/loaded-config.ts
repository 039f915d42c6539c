import type { ConfigIssue, ConfigPath } from './errors.js';
import type { Config } from './schema.js';

/** A validated config together with where each of its values came from. */
export interface LoadedConfig {
  /** Absolute path of the tandem.yaml. */
  file: string;
  /** Absolute directory of the tandem.yaml: the project root. */
  dir: string;
  config: Config;
  /** Position of the value (or, failing that, the nearest existing parent) at `path`. */
  positionOf(path: ConfigPath): { line: number; col: number };
  /** An issue located at `path`, for checks done after the schema (cycles, unknown needs…). */
  issueAt(
    path: ConfigPath,
    message: string,
    extra?: Pick<ConfigIssue, 'expected' | 'suggestion'>,
  ): ConfigIssue;
}

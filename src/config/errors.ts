import { TandemError } from '../errors.js';

export type ConfigPath = ReadonlyArray<string | number>;

/** One problem in a config file, precise enough to fix without reading the schema. */
export interface ConfigIssue {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  col: number;
  path: ConfigPath;
  message: string;
  /** What was expected there, e.g. 'a duration such as "30s"'. */
  expected?: string;
  /** A did-you-mean, e.g. 'timeout'. */
  suggestion?: string;
}

export function formatPath(path: ConfigPath): string {
  if (path.length === 0) return '(root)';
  return path
    .map((seg, i) => {
      if (typeof seg === 'number') return `[${seg}]`;
      const plain = /^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(seg);
      if (!plain) return `[${JSON.stringify(seg)}]`;
      return i === 0 ? seg : `.${seg}`;
    })
    .join('');
}

export function formatIssue(issue: ConfigIssue): string {
  let text = `${issue.file}:${issue.line}:${issue.col}: ${formatPath(issue.path)}: ${issue.message}`;
  if (issue.expected && !issue.message.includes(issue.expected)) text += ` (expected ${issue.expected})`;
  if (issue.suggestion) text += `; did you mean "${issue.suggestion}"?`;
  return text;
}

/** An invalid config: exit code 2, and nothing runs. */
export class ConfigError extends TandemError {
  readonly issues: ConfigIssue[];

  constructor(issues: ConfigIssue[]) {
    const lines = issues.map(formatIssue);
    super('TANDEM_CONFIG_INVALID', `invalid config:\n  ${lines.join('\n  ')}`, { exitCode: 2 });
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

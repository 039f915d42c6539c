/** Data model of a parsed Prometheus text exposition (format 0.0.4). */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  /** The sample's own name, e.g. `http_request_duration_seconds_bucket` inside family `http_request_duration_seconds`. */
  name: string;
  labels: Record<string, string>;
  /** May be NaN, Infinity or -Infinity. */
  value: number;
  /** Milliseconds since the epoch, when the line carried one. */
  timestampMs?: number;
}

export interface MetricFamily {
  name: string;
  type: MetricType;
  /** Unescaped docstring from `# HELP`, absent when the exposition had none. */
  help?: string;
  samples: Sample[];
}

export interface ParseError {
  /** 1-based line number; 0 for errors about the input as a whole. */
  line: number;
  message: string;
}

export interface ParseResult {
  families: MetricFamily[];
  errors: ParseError[];
}

export interface ParseLimits {
  /** Inputs longer than this (in UTF-16 code units) are rejected whole: nothing is parsed. */
  maxChars: number;
  /** Lines after this many are not parsed; one error says the input was truncated. */
  maxLines: number;
  /** Errors after this many are dropped; one final error says how many were dropped. */
  maxErrors: number;
}

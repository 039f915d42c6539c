/** What `tandem init` found in a directory and the pipeline it proposes. */

export type EcosystemId = 'node' | 'python' | 'go' | 'make';

/** The role of a proposed job: it decides `needs`, `timeout` and where the examples go. */
export type JobKind = 'install' | 'lint' | 'test' | 'build' | 'other';

export interface ProposedJob {
  name: string;
  kind: JobKind;
  /** One line saying what the job does; written as a comment above it. */
  description: string;
  run: string;
  needs?: string[];
  inputs?: string[];
  outputs?: string[];
  /** A duration such as "10m". */
  timeout?: string;
  /** Extra comment lines written under the description. */
  remarks?: string[];
  /** An inline comment for `outputs`. */
  outputsComment?: string;
}

export interface Ecosystem {
  id: EcosystemId;
  /** For people, e.g. "Node.js (npm, package-lock.json)". */
  label: string;
  /** The files that gave it away, relative to the directory. */
  files: string[];
}

/** What one detector found; undefined from a detector means "not this kind of project". */
export interface Findings {
  ecosystem: Ecosystem;
  jobs: ProposedJob[];
  projectName?: string;
  notes: string[];
}

export interface Detection {
  /** Absolute path of the directory that was read. */
  dir: string;
  project: string;
  detected: Ecosystem[];
  /** In pipeline order; names are unique and every `needs` names one of them. */
  jobs: ProposedJob[];
  /** Things the user should know (skipped scripts, renamed jobs, unreadable files). */
  notes: string[];
}

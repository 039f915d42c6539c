// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the ${{ }} syntax of tandem.yaml, not JS templates
import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { loadConfigFromString } from './parse.js';

/** Whatever the text, loadConfigFromString returns a config or throws a ConfigError located in the file. */

const BASE = `# yaml-language-server: $schema=./node_modules/tandem/schema/tandem.schema.json
project: shop
owners: { team: payments, oncall: "@payments" }
pipeline:
  env:
    TOKEN: \${{ secrets.TOKEN }}
  jobs:
    install:
      run: npm ci
      inputs: [package.json, package-lock.json]
      outputs:
        - node_modules/**
      timeout: 5m
    test:
      needs: [install]
      matrix:
        node: [18, 20, 22]
      env:
        NODE_VERSION: \${{ matrix.node }}
      run: |
        echo "node \${{ matrix.node }}"
        npm test
      timeout: 1h30m
      retries: 2
    build:
      needs: test
      if: branch == 'main'
      run: npm run build
      outputs: ["dist/**"]
      timeout: 600
`;

const CHARS = [
  ':',
  '-',
  '[',
  ']',
  '{',
  '}',
  '"',
  "'",
  '\t',
  '\n',
  ' ',
  ' ',
  '#',
  '&',
  '*',
  '!',
  '|',
  '>',
  '?',
  ',',
  '%',
  '@',
  '`',
  '$',
  '\\',
  '\r',
  'a',
  'Z',
  '1',
  '.',
  '~',
  '\u00a0',
  '\u0000',
  '\ufeff',
  'é',
];
const VALUES = [
  '',
  '~',
  'null',
  '[]',
  '{}',
  '[1, [2, {a: b}]]',
  '{ run: x }',
  '-1',
  '0',
  '1.5',
  '1e999',
  '.nan',
  '.inf',
  '0x1F',
  '0o17',
  'true',
  'no',
  '"x"',
  "'y'",
  '2001-12-14',
  '*anchor',
  '&anchor v',
  '!!binary aGk=',
  '!!str 3',
  '!tag x',
  '|',
  '>-',
  '- a',
  '"unterminated',
  '${{ env.X }}',
  '? k',
  'a: b: c',
  '10m',
  '1h30m',
  'x'.repeat(300),
];
const LINES = [
  '  timout: 3',
  '<<: *base',
  '? [a, b]\n: c',
  '---',
  '...',
  '%YAML 1.1',
  '  - item',
  'key: &base { run: x }',
  '  __proto__: { run: x }',
  '    constructor: 1',
  '\t\tbad: tab',
];

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(text: string, random: () => number): string {
  const int = (n: number): number => Math.floor(random() * n);
  const pick = <T>(list: readonly T[]): T => list[int(list.length)] as T;
  const pos = int(text.length + 1);
  const lines = text.split('\n');
  const line = int(lines.length);
  switch (int(9)) {
    case 0:
      return text.slice(0, pos) + text.slice(pos + 1 + int(3));
    case 1:
      return text.slice(0, pos) + pick(CHARS) + text.slice(pos);
    case 2:
      return text.slice(0, pos) + pick(CHARS) + text.slice(pos + 1);
    case 3:
      lines.splice(line, 0, lines[line] ?? '');
      return lines.join('\n');
    case 4:
      lines.splice(line, 1);
      return lines.join('\n');
    case 5: {
      const current = lines[line] ?? '';
      lines[line] = random() < 0.5 ? ' '.repeat(1 + int(4)) + current : current.replace(/^ {1,4}/, '');
      return lines.join('\n');
    }
    case 6: {
      const current = lines[line] ?? '';
      const colon = current.indexOf(': ');
      lines[line] =
        colon >= 0 ? `${current.slice(0, colon + 2)}${pick(VALUES)}` : `${current}${pick(VALUES)}`;
      return lines.join('\n');
    }
    case 7: {
      const other = int(lines.length);
      const a = lines[line] ?? '';
      lines[line] = lines[other] ?? '';
      lines[other] = a;
      return lines.join('\n');
    }
    default:
      lines.splice(line, 0, pick(LINES));
      return lines.join('\n');
  }
}

function check(text: string): 'valid' | 'invalid' {
  let loaded: ReturnType<typeof loadConfigFromString>;
  try {
    loaded = loadConfigFromString(text, 'tandem.yaml');
  } catch (err) {
    if (!(err instanceof ConfigError)) {
      throw new Error(`not a ConfigError for ${JSON.stringify(text)}: ${String(err)}`);
    }
    const lineCount = text.split('\n').length;
    if (err.issues.length === 0) throw new Error(`no issues for ${JSON.stringify(text)}`);
    let previous = 0;
    for (const issue of err.issues) {
      const ok =
        Number.isInteger(issue.line) &&
        Number.isInteger(issue.col) &&
        issue.line >= 1 &&
        issue.col >= 1 &&
        issue.line <= lineCount + 1 &&
        issue.line >= previous &&
        issue.file === 'tandem.yaml' &&
        issue.message.length > 0 &&
        !issue.message.startsWith('internal error');
      if (!ok) throw new Error(`bad issue ${JSON.stringify(issue)} for ${JSON.stringify(text)}`);
      previous = issue.line;
    }
    return 'invalid';
  }
  expect(typeof loaded.config.project).toBe('string');
  expect(loaded.positionOf(['pipeline', 'jobs', 'nope', 'run']).line).toBeGreaterThanOrEqual(1);
  return 'valid';
}

describe('loadConfigFromString under random mutations', () => {
  it('accepts the base document', () => {
    expect(check(BASE)).toBe('valid');
  });

  it('returns a config or a located ConfigError, never anything else', () => {
    const random = mulberry32(20_240_607);
    const counts = { valid: 0, invalid: 0 };
    let mutations = 0;
    for (let run = 0; run < 600; run++) {
      let text = BASE;
      const count = 2 + Math.floor(random() * 5);
      for (let i = 0; i < count; i++) text = mutate(text, random);
      mutations += count;
      counts[check(text)]++;
    }
    expect(mutations).toBeGreaterThan(2000);
    // The mutations must exercise both outcomes.
    expect(counts.valid).toBeGreaterThan(5);
    expect(counts.invalid).toBeGreaterThan(200);
  });

  it('survives hostile YAML', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++)
      bomb.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(',')}]`,
      );
    const hostile = [
      bomb.join('\n'),
      'project: &p [*p]\npipeline: &q { jobs: *q }',
      'pipeline: &j\n  jobs:\n    a: *j\nproject: x',
      '%YAML 1.1\n---\nbase: &b { run: x }\nproject: x\npipeline:\n  jobs:\n    a:\n      <<: *b\n      matrix: !!set { a, b }\n',
      '__proto__: { polluted: true }\nconstructor: 1\nproject: x\npipeline: { jobs: { toString: { run: x } } }',
      '\ufeffproject: x\r\npipeline:\r\n  jobs:\r\n    a: { run: x, retries: 99999999999999999999 }\r\n',
      'project: x\n---\nproject: y\n',
      '? - a\n  - b\n: c\nproject: x',
      '!!map { ? !!str project : !!str x }',
      'project: !!binary aGk=\npipeline: !!omap [ a: 1 ]',
      '{'.repeat(500),
      `${'- '.repeat(300)}x`,
      'project: x\npipeline:\n  jobs:\n    a:\n      run: x\n      matrix: { n: [*missing] }',
    ];
    for (const text of hostile) check(text);
    expect(check('project: x\npipeline: { jobs: { toString: { run: x } } }')).toBe('valid');
  });
});

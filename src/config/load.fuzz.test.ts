// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the ${{ }} syntax of tandem.yaml, not JS templates
import { describe, expect, it } from 'vitest';
import { mulberry32, mutate } from '../../test/helpers/yaml-mutations.js';
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

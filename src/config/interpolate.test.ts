// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the ${{ }} syntax under test, not JS templates
import { describe, expect, it } from 'vitest';
import { TandemError } from '../errors.js';
import { findReferences, InterpolationError, interpolate } from './interpolate.js';

const values: Record<string, Record<string, string>> = {
  env: { HOME: '/home/me', EMPTY: '' },
  secrets: { TOKEN: 's3cr3t' },
  matrix: { node: '20' },
};
const resolve = (ns: string, name: string): string | undefined => values[ns]?.[name];

function failure(text: string): InterpolationError {
  try {
    interpolate(text, resolve);
  } catch (err) {
    if (err instanceof InterpolationError) return err;
    throw err;
  }
  throw new Error(`expected ${text} to fail`);
}

describe('interpolate', () => {
  it('substitutes every namespace', () => {
    expect(
      interpolate('home=${{ env.HOME }} token=${{ secrets.TOKEN }} node=${{ matrix.node }}', resolve),
    ).toBe('home=/home/me token=s3cr3t node=20');
  });

  it('accepts any whitespace inside the braces', () => {
    for (const text of ['${{env.HOME}}', '${{ env.HOME }}', '${{   env.HOME\t}}', '${{\n env.HOME \n}}']) {
      expect(interpolate(text, resolve)).toBe('/home/me');
    }
  });

  it('leaves text without references alone, and an empty value is a value', () => {
    expect(interpolate('echo $HOME ${PATH} {{ x }} $ {{', resolve)).toBe('echo $HOME ${PATH} {{ x }} $ {{');
    expect(interpolate('[${{ env.EMPTY }}]', resolve)).toBe('[]');
    expect(interpolate('', resolve)).toBe('');
  });

  it('does not scan substituted values again', () => {
    expect(interpolate('${{ env.X }}', () => '${{ env.Y }}')).toBe('${{ env.Y }}');
  });

  it('substitutes adjacent references', () => {
    expect(interpolate('${{ matrix.node }}${{matrix.node}}}', resolve)).toBe('2020}');
  });

  it('reports a missing secret with how to set it', () => {
    const err = failure('Bearer ${{ secrets.NOPE }}');
    expect(err).toBeInstanceOf(TandemError);
    expect(err.code).toBe('TANDEM_CONFIG_INTERPOLATION');
    expect(err.exitCode).toBe(2);
    expect(err.reference).toBe('secrets.NOPE');
    expect(err.message).toBe('secret "NOPE" is not set (run `tandem secret set NOPE`)');
  });

  it('reports a missing environment variable and matrix value', () => {
    expect(failure('${{ env.FOO }}')).toMatchObject({
      reference: 'env.FOO',
      message: 'environment variable "FOO" is not set',
    });
    expect(failure('${{ matrix.os }}')).toMatchObject({
      reference: 'matrix.os',
      message: expect.stringContaining('"os"'),
    });
  });

  it('reports an unknown namespace', () => {
    expect(failure('${{ foo.BAR }}')).toMatchObject({
      reference: 'foo.BAR',
      message: 'unknown namespace "foo" in ${{ foo.BAR }} (expected env, secrets or matrix)',
    });
  });

  it('reports an unterminated reference', () => {
    const err = failure('echo ${{ env.HOME');
    expect(err.reference).toBe('${{ env.HOME');
    expect(err.message).toContain('unterminated');
    expect(err.message).toContain('}}');
    expect(failure('a ${{ env.HOME }} b ${{').message).toContain('unterminated');
  });

  it('reports malformed references', () => {
    for (const text of [
      '${{ env }}',
      '${{ }}',
      '${{ env.A.B }}',
      '${{ env.1X }}',
      '${{ env. A }}',
      '${{ ${{ env.HOME }}',
    ]) {
      const err = failure(text);
      expect(err.message).toMatch(/^malformed reference/);
    }
  });
});

describe('findReferences', () => {
  it('finds well-formed references of any namespace, with their index', () => {
    const text = 'a ${{ env.A }} b ${{secrets.B}} ${{ bad }} ${{ foo.C }}';
    expect(findReferences(text)).toEqual([
      { ns: 'env', name: 'A', index: 2 },
      { ns: 'secrets', name: 'B', index: 17 },
      { ns: 'foo', name: 'C', index: text.indexOf('${{ foo') },
    ]);
  });

  it('stops at an unterminated reference', () => {
    expect(findReferences('${{ env.A }} ${{ env.B')).toEqual([{ ns: 'env', name: 'A', index: 0 }]);
    expect(findReferences('no references')).toEqual([]);
  });
});

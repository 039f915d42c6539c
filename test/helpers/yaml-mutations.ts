// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the ${{ }} syntax of tandem.yaml, not JS templates
/**
 * Seeded random mutations of YAML text (characters, lines, indentation, values, hostile
 * constructs), shared by the in-process fuzz test of the config loader and the one that drives
 * the real CLI.
 */

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

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function mutate(text: string, random: () => number): string {
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

import { ExpressionError } from './errors.js';

export type TokenKind =
  | 'string'
  | 'number'
  | 'ident'
  | '('
  | ')'
  | '['
  | ']'
  | ','
  | '.'
  | '!'
  | '=='
  | '!='
  | '&&'
  | '||'
  | 'eof';

export interface Token {
  kind: TokenKind;
  /** The source text of the token ('' at the end). */
  text: string;
  /** The decoded value of a string or number literal, the name of an identifier. */
  value?: string | number;
  /** 1-based column of the token's first character. */
  col: number;
}

const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
/** A root identifier: env, matrix, a function name, true… */
const IDENT = /[A-Za-z_][A-Za-z0-9_-]*/y;
/** A property after ".": job names may start with a digit. */
const PROPERTY = /[A-Za-z0-9_][A-Za-z0-9_-]*/y;
const PUNCTUATION = ['==', '!=', '&&', '||', '(', ')', '[', ']', ',', '.', '!'] as const;

/** Splits an expression into tokens, ending with an 'eof' token. Columns are 1-based. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
      i++;
      continue;
    }
    const col = i + 1;
    if (ch === "'") {
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= text.length) throw new ExpressionError(`unterminated string starting at column ${col}`, col);
        if (text[j] === "'") {
          if (text[j + 1] === "'") {
            value += "'";
            j += 2;
            continue;
          }
          break;
        }
        value += text[j];
        j++;
      }
      tokens.push({ kind: 'string', text: text.slice(i, j + 1), value, col });
      i = j + 1;
      continue;
    }
    const afterDot = tokens.at(-1)?.kind === '.';
    const word = matchAt(afterDot ? PROPERTY : IDENT, text, i);
    if (word !== undefined) {
      tokens.push({ kind: 'ident', text: word, value: word, col });
      i += word.length;
      continue;
    }
    const number = matchAt(NUMBER, text, i);
    if (number !== undefined) {
      tokens.push({ kind: 'number', text: number, value: Number(number), col });
      i += number.length;
      continue;
    }
    const punct = PUNCTUATION.find((p) => text.startsWith(p, i));
    if (punct !== undefined) {
      tokens.push({ kind: punct, text: punct, col });
      i += punct.length;
      continue;
    }
    throw new ExpressionError(`unexpected "${ch}" at column ${col}${hintFor(ch)}`, col);
  }
  tokens.push({ kind: 'eof', text: '', col: text.length + 1 });
  return tokens;
}

function matchAt(re: RegExp, text: string, index: number): string | undefined {
  re.lastIndex = index;
  const m = re.exec(text);
  return m ? m[0] : undefined;
}

function hintFor(ch: string): string {
  switch (ch) {
    case '=':
      return ', expected "==" or "!="';
    case '&':
      return ', expected "&&"';
    case '|':
      return ', expected "||"';
    case '"':
      return ", expected a value (strings use single quotes: 'text')";
    default:
      return '';
  }
}

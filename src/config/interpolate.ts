import { TandemError } from '../errors.js';

/**
 * `${{ ns.NAME }}` references in config values (whitespace inside the braces optional).
 * Pure: the caller resolves names; this module only scans, substitutes and words the errors.
 */

export const NAMESPACES = ['env', 'secrets', 'matrix'] as const;
export type Namespace = (typeof NAMESPACES)[number];

const OPEN = '${{';
const CLOSE = '}}';
const REFERENCE = /^\s*([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)\s*$/;
const EXPECTED = orList(NAMESPACES.map((ns) => `\${{ ${ns}.NAME }}`));

/** A reference that cannot be resolved, or malformed `${{ … }}` syntax. Exit code 2. */
export class InterpolationError extends TandemError {
  /** The reference as written, e.g. 'secrets.TOKEN', or the malformed text. */
  readonly reference: string;

  constructor(reference: string, message: string) {
    super('TANDEM_CONFIG_INTERPOLATION', message, { exitCode: 2 });
    this.name = 'InterpolationError';
    this.reference = reference;
  }
}

type Token =
  | { kind: 'ref'; start: number; end: number; ns: string; name: string }
  | { kind: 'malformed'; start: number; end: number; raw: string }
  | { kind: 'unterminated'; start: number; raw: string };

function* scan(text: string): Generator<Token> {
  let pos = 0;
  for (;;) {
    const start = text.indexOf(OPEN, pos);
    if (start < 0) return;
    const close = text.indexOf(CLOSE, start + OPEN.length);
    if (close < 0) {
      yield { kind: 'unterminated', start, raw: text.slice(start) };
      return;
    }
    const end = close + CLOSE.length;
    const match = REFERENCE.exec(text.slice(start + OPEN.length, close));
    if (match?.[1] !== undefined && match[2] !== undefined) {
      yield { kind: 'ref', start, end, ns: match[1], name: match[2] };
    } else {
      yield { kind: 'malformed', start, end, raw: text.slice(start, end) };
    }
    pos = end;
  }
}

function orList(words: readonly string[]): string {
  return words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;
}

function shorten(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > 40 ? `${line.slice(0, 40)}…` : line;
}

function isNamespace(ns: string): ns is Namespace {
  return (NAMESPACES as readonly string[]).includes(ns);
}

function notSetMessage(ns: Namespace, name: string): string {
  switch (ns) {
    case 'secrets':
      return `secret "${name}" is not set (run \`tandem secret set ${name}\`)`;
    case 'env':
      return `environment variable "${name}" is not set`;
    case 'matrix':
      return `matrix value "${name}" is not defined (the job's matrix has no key "${name}")`;
  }
}

/**
 * Replaces every `${{ ns.NAME }}` in `text` with `resolve(ns, NAME)`. Substituted values are
 * not scanned again. Throws InterpolationError for an unknown namespace, a name `resolve`
 * does not know (undefined), or malformed syntax.
 */
export function interpolate(text: string, resolve: (ns: string, name: string) => string | undefined): string {
  let out = '';
  let pos = 0;
  for (const token of scan(text)) {
    if (token.kind === 'unterminated') {
      throw new InterpolationError(
        token.raw,
        `unterminated reference "${shorten(token.raw)}": "\${{" without a closing "}}"`,
      );
    }
    if (token.kind === 'malformed') {
      throw new InterpolationError(
        token.raw,
        `malformed reference "${shorten(token.raw)}" (expected ${EXPECTED})`,
      );
    }
    const reference = `${token.ns}.${token.name}`;
    if (!isNamespace(token.ns)) {
      throw new InterpolationError(
        reference,
        `unknown namespace "${token.ns}" in \${{ ${reference} }} (expected ${orList(NAMESPACES)})`,
      );
    }
    const value = resolve(token.ns, token.name);
    if (value === undefined) throw new InterpolationError(reference, notSetMessage(token.ns, token.name));
    out += text.slice(pos, token.start) + value;
    pos = token.end;
  }
  return out + text.slice(pos);
}

/** Every well-formed reference in `text` (any namespace), in order; malformed ones are skipped. */
export function findReferences(text: string): Array<{ ns: string; name: string; index: number }> {
  const refs: Array<{ ns: string; name: string; index: number }> = [];
  for (const token of scan(text)) {
    if (token.kind === 'ref') refs.push({ ns: token.ns, name: token.name, index: token.start });
  }
  return refs;
}

/**
 * The resolver of `${{ env.X }}` and `${{ secrets.X }}` outside the pipeline (services, notify,
 * webhooks). `secrets` undefined (validate): every secret resolves to `placeholder`.
 */
export function envAndSecrets(
  env: Record<string, string | undefined>,
  secrets: { get(name: string): string | undefined } | undefined,
  placeholder = '***',
): (ns: string, name: string) => string | undefined {
  return (ns, name) => {
    if (ns === 'env') return Object.hasOwn(env, name) ? env[name] : undefined;
    if (ns === 'secrets') return secrets === undefined ? placeholder : secrets.get(name);
    return undefined;
  };
}

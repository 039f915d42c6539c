/**
 * Runs wrk (the Debian package, 4.x) against a loopback URL and parses its report: requests/s,
 * latency percentiles (--latency), errors. Used by bench/proxy.bench.ts.
 */
import { spawn } from 'node:child_process';

export interface WrkResult {
  requests: number;
  seconds: number;
  rps: number;
  /** Latency percentiles in ms (wrk --latency). */
  p50: number;
  p75: number;
  p90: number;
  p99: number;
  /** Socket errors (connect, read, write, timeout) plus non-2xx/3xx responses. */
  errors: number;
}

export interface WrkOptions {
  url: string;
  threads: number;
  connections: number;
  seconds: number;
  /** A wrk Lua script (e.g. one pacing the requests), by path. */
  script?: string;
}

export function runWrk(opts: WrkOptions): Promise<WrkResult> {
  const args = [
    `-t${opts.threads}`,
    `-c${opts.connections}`,
    `-d${opts.seconds}s`,
    '--latency',
    '--timeout',
    '5s',
    ...(opts.script === undefined ? [] : ['-s', opts.script]),
    opts.url,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    // wrk stops by itself after -d; this only guards against a hang.
    const timer = setTimeout(() => child.kill('SIGKILL'), (opts.seconds + 30) * 1000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`wrk ${args.join(' ')} exited ${code}: ${err || out}`));
      try {
        resolve(parseWrk(out));
      } catch (e) {
        reject(new Error(`${(e as Error).message} in wrk's output:\n${out}`));
      }
    });
  });
}

export function parseWrk(out: string): WrkResult {
  const total = /(\d+) requests in ([\d.]+)(us|ms|s|m)\b/.exec(out);
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  if (total === null || rps === null) throw new Error('no request count');
  const pct = (p: string): number => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(out);
    if (m === null) throw new Error(`no ${p}% latency`);
    return toMs(Number(m[1]), m[2]!);
  };
  let errors = 0;
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  if (sock !== null) errors += Number(sock[1]) + Number(sock[2]) + Number(sock[3]) + Number(sock[4]);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  if (non2xx !== null) errors += Number(non2xx[1]);
  return {
    requests: Number(total[1]),
    seconds: toMs(Number(total[2]), total[3]!) / 1000,
    rps: Number(rps[1]),
    p50: pct('50'),
    p75: pct('75'),
    p90: pct('90'),
    p99: pct('99'),
    errors,
  };
}

function toMs(v: number, unit: string): number {
  switch (unit) {
    case 'us':
      return v / 1000;
    case 'ms':
      return v;
    case 's':
      return v * 1000;
    case 'm':
      return v * 60_000;
    default:
      throw new Error(`unknown unit ${unit}`);
  }
}

/**
 * A wrk script that waits `ms` after each response before a connection sends its next request, so
 * C connections offer at most C * 1000 / ms requests/s: a moderate, roughly fixed load (wrk2, which
 * paces at a constant rate, is not packaged by Debian).
 */
export function pacingScript(ms: number): string {
  return `-- Pacing: each connection waits ${ms} ms after a response before its next request.\nfunction delay()\n  return ${ms}\nend\n`;
}

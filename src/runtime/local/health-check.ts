/**
 * One health probe of an instance on 127.0.0.1: an HTTP GET (2xx/3xx passes) or a TCP connect,
 * bounded by the check's timeout. Never rejects: a failure is a result, with the reason to show.
 */
import http from 'node:http';
import net from 'node:net';
import type { HealthCheck } from './types.js';

export interface ProbeResult {
  ok: boolean;
  /** Why it failed (or the HTTP status that passed), for the instance's log. */
  detail: string;
}

const HOST = '127.0.0.1';

export function probe(check: HealthCheck, port: number): Promise<ProbeResult> {
  return check.kind === 'http'
    ? probeHttp(port, check.path, check.timeoutMs)
    : probeTcp(port, check.timeoutMs);
}

function probeHttp(port: number, path: string, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: ProbeResult): void => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    // agent:false: a fresh connection per check, so a check never waits behind a pooled socket.
    const req = http.get({
      host: HOST,
      port,
      path,
      agent: false,
      headers: { 'user-agent': 'tandem-health-check' },
    });
    // The deadline covers the whole exchange, body included; destroying after the end is harmless.
    const deadline = setTimeout(() => {
      finish({ ok: false, detail: `no response within ${timeoutMs}ms` });
      req.destroy();
    }, timeoutMs);
    deadline.unref();
    req.once('response', (res) => {
      const status = res.statusCode ?? 0;
      finish(
        status >= 200 && status < 400
          ? { ok: true, detail: `HTTP ${status}` }
          : { ok: false, detail: `HTTP ${status} from GET ${path}` },
      );
      res.once('end', () => {
        clearTimeout(deadline);
        req.destroy();
      });
      res.once('error', () => undefined);
      res.resume();
    });
    req.once('error', (err) => {
      clearTimeout(deadline);
      finish({ ok: false, detail: `GET ${path}: ${err.message}` });
    });
  });
}

function probeTcp(port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: HOST, port });
    const done = (result: ProbeResult): void => {
      clearTimeout(deadline);
      socket.destroy();
      resolve(result);
    };
    const deadline = setTimeout(
      () => done({ ok: false, detail: `no connection within ${timeoutMs}ms` }),
      timeoutMs,
    );
    deadline.unref();
    socket.once('connect', () => done({ ok: true, detail: 'connected' }));
    socket.once('error', (err) => done({ ok: false, detail: `connect: ${err.message}` }));
  });
}

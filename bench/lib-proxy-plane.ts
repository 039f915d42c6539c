/**
 * The data plane under benchmark, as a process of its own (as in production, where the agent runs
 * it): `node --import tsx bench/lib-proxy-plane.ts UPSTREAM_PORT [LISTEN_PORT]`. It routes every
 * request to 127.0.0.1:UPSTREAM_PORT, prints `{"port": N}` on stdout once listening, answers a
 * line `stats` on stdin with its ProxyStats as one JSON line, and closes on SIGTERM or stdin's end.
 */
import { createInterface } from 'node:readline';
import { createBuiltinDataPlane } from '../src/proxy/builtin/builtin-data-plane.js';

const upstreamPort = Number(process.argv[2]);
const listenPort = Number(process.argv[3] ?? 0);
if (!Number.isInteger(upstreamPort) || upstreamPort <= 0) {
  console.error('usage: lib-proxy-plane.ts UPSTREAM_PORT [LISTEN_PORT]');
  process.exit(2);
}

const plane = createBuiltinDataPlane();
plane.setRoutes({
  revisions: [
    { revision: 'bench', weight: 1, instances: [{ id: 'app', host: '127.0.0.1', port: upstreamPort }] },
  ],
});
const { port } = await plane.listen(listenPort, '127.0.0.1');
process.stdout.write(`${JSON.stringify({ port })}\n`);

let closing = false;
async function stop(): Promise<void> {
  if (closing) return;
  closing = true;
  await plane.close();
  process.exit(0);
}
process.on('SIGTERM', () => void stop());
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line.trim() === 'stats') process.stdout.write(`${JSON.stringify(plane.stats())}\n`);
});
lines.on('close', () => void stop());

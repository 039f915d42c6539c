/**
 * A free port on 127.0.0.1, picked by the OS (listen on port 0, read it, close). The OS may hand
 * the same port out again at once, so the last one picked in this process and the caller's `avoid`
 * set (ports of instances that are between two processes) are skipped.
 */
import net from 'node:net';
import { TandemError } from '../../errors.js';

let lastPicked = 0;
const ATTEMPTS = 20;

export async function pickFreePort(avoid: ReadonlySet<number> = new Set()): Promise<number> {
  for (let i = 0; i < ATTEMPTS; i++) {
    const port = await listenOnce();
    if (port !== lastPicked && !avoid.has(port)) {
      lastPicked = port;
      return port;
    }
  }
  throw new TandemError(
    'TANDEM_NO_FREE_PORT',
    'could not find a free port on 127.0.0.1; free some ports or give the service a fixed `port`',
  );
}

function listenOnce(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port from listen(0)'))));
    });
  });
}

// The example service: a tiny HTTP server. Tandem runs it from a release (dist/ is the build
// output), gives every instance its own PORT, checks /healthz, and sends it SIGTERM to stop.
import { createServer } from 'node:http';
import { greet } from './greet.js';

const port = Number(process.env.PORT ?? 3000);
const release = process.env.TANDEM_RELEASE ?? 'dev';
const instance = process.env.TANDEM_INSTANCE ?? `pid ${process.pid}`;
const name = process.env.GREETING_NAME ?? 'world';

const page = (lang) => `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><title>hello</title>
<style>body{font:18px system-ui;margin:3em auto;max-width:36em;color:#223}small{color:#667}</style></head>
<body><h1>${greet(name, lang)}</h1>
<p>${['en', 'fr', 'de'].map((l) => `<a href="/?lang=${l}">${l}</a>`).join(' · ')}</p>
<p><small>release ${release} · instance ${instance}</small></p></body></html>
`;

// Application metrics in the Prometheus text format: Tandem scrapes them (`metrics.path`).
const greetings = new Map();
const metrics = () =>
  [
    '# HELP hello_greetings_total Greetings served, by language.',
    '# TYPE hello_greetings_total counter',
    ...[...greetings].map(([lang, n]) => `hello_greetings_total{lang="${lang}"} ${n}`),
    '# HELP hello_heap_bytes V8 heap in use.',
    '# TYPE hello_heap_bytes gauge',
    `hello_heap_bytes ${process.memoryUsage().heapUsed}`,
    '',
  ].join('\n');

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    return;
  }
  if (url.pathname === '/metrics') {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(metrics());
    return;
  }
  const lang = url.searchParams.get('lang') ?? 'en';
  if (['en', 'fr', 'de'].includes(lang)) greetings.set(lang, (greetings.get(lang) ?? 0) + 1);
  if (url.pathname === '/api/greet') {
    try {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ greeting: greet(name, lang), release, instance }));
    } catch (err) {
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: err.message }));
    }
    return;
  }
  if (url.pathname !== '/') {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    return;
  }
  try {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page(lang));
  } catch (err) {
    res.writeHead(400, { 'content-type': 'text/plain' }).end(`${err.message}\n`);
  }
});

server.listen(port, '127.0.0.1', () => console.log(`hello ${release} listening on ${port}`));

// Finish in-flight requests, then exit (Tandem drains traffic away first).
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
});

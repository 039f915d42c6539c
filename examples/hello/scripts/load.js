// Steady load for the autoscaler demo: `node examples/hello/scripts/load.js [req/s] [seconds] [url]`.
// Open loop (a fixed rate, whatever the latency), keep-alive, 127.0.0.1 by default; stops by itself.
import { Agent, request } from 'node:http';

const rate = Number(process.argv[2] ?? 800);
const seconds = Number(process.argv[3] ?? 60);
const url = new URL(process.argv[4] ?? 'http://127.0.0.1:8080/');
const agent = new Agent({ keepAlive: true, maxSockets: 64 });
let ok = 0;
let failed = 0;
let inFlight = 0;

const fire = () => {
  if (inFlight >= 256) return; // bounded: a stuck server must not pile up requests
  inFlight++;
  const req = request({ host: url.hostname, port: url.port, path: url.pathname, agent }, (res) => {
    res.resume();
    res.on('end', () => {
      inFlight--;
      if (res.statusCode < 500) ok++;
      else failed++;
    });
  });
  req.on('error', () => {
    inFlight--;
    failed++;
  });
  req.end();
};

const perTick = rate / 100;
let owed = 0;
const timer = setInterval(() => {
  owed += perTick;
  for (; owed >= 1; owed--) fire();
}, 10);
const report = setInterval(() => {
  console.log(`${rate} req/s → ${url.host}: ${ok} ok, ${failed} failed`);
}, 5000);
setTimeout(() => {
  clearInterval(timer);
  clearInterval(report);
  setTimeout(() => {
    console.log(`done: ${ok} ok, ${failed} failed`);
    agent.destroy();
  }, 1000);
}, seconds * 1000);

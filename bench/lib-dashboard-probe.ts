/**
 * What the dashboard first-load benchmark runs inside the page: an init script (before any of the
 * page's own scripts) that notes when the overview table has all its rows and when the frame
 * after that was painted, and long tasks; and the expression that waits for it and reads the
 * navigation, paint and resource timings. Both are plain strings so nothing the TypeScript
 * loader adds to compiled functions reaches the browser.
 */

export interface ResourceTiming {
  path: string;
  initiator: string;
  start: number;
  requestStart: number;
  responseStart: number;
  end: number;
  /** Bytes on the wire, headers included; 0 when it came from the HTTP cache. */
  transfer: number;
  /** The body as sent (gzip when compressed). */
  encoded: number;
  decoded: number;
}

export interface PageSample {
  /** performance.timeOrigin: the navigation's start, epoch ms. */
  timeOrigin: number;
  /** All below: ms from the navigation's start. */
  fcp: number | null;
  domContentLoaded: number;
  load: number;
  /** The overview table holds every expected row (after the render that put them there). */
  rowsAt: number;
  /** After the next frame was rendered (a message posted from requestAnimationFrame). */
  paintedAt: number;
  rows: number;
  document: ResourceTiming;
  resources: ResourceTiming[];
  /** [start, duration] of every task over 50 ms. */
  longTasks: Array<[number, number]>;
}

/** The init script: `expectedRows` rows in the overview table count as "the overview with data". */
export function probeScript(expectedRows: number): string {
  return `(() => {
  const EXPECTED = ${Math.max(1, Math.floor(expectedRows))};
  const b = { rowsAt: null, paintedAt: null, rows: 0, longTasks: [] };
  let resolve;
  b.done = new Promise((r) => { resolve = r; });
  window.__bench = b;
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) b.longTasks.push([e.startTime, e.duration]);
    }).observe({ type: 'longtask', buffered: true });
  } catch {}
  const obs = new MutationObserver(() => {
    if (b.rowsAt !== null) return;
    const n = document.querySelectorAll('[data-testid="overview-table"] > tbody > tr').length;
    if (n < EXPECTED) return;
    b.rowsAt = performance.now();
    b.rows = n;
    obs.disconnect();
    requestAnimationFrame(() => {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => { b.paintedAt = performance.now(); resolve(); };
      ch.port2.postMessage(null);
    });
  });
  obs.observe(document, { childList: true, subtree: true });
})();`;
}

/** Waits (at most `timeoutMs`) for the overview, then answers a PageSample. */
export function collectExpression(timeoutMs: number): string {
  return `(async () => {
  const b = window.__bench;
  if (b === undefined) throw new Error('the probe did not run in this document');
  await Promise.race([
    b.done,
    new Promise((_, reject) => setTimeout(() => reject(new Error(
      'no overview rows after ${timeoutMs} ms; the page shows: ' + document.body.innerText.slice(0, 300))), ${timeoutMs})),
  ]);
  const timing = (r) => ({
    path: new URL(r.name).pathname,
    initiator: r.initiatorType,
    start: r.startTime,
    requestStart: r.requestStart,
    responseStart: r.responseStart,
    end: r.responseEnd,
    transfer: r.transferSize,
    encoded: r.encodedBodySize,
    decoded: r.decodedBodySize,
  });
  const nav = performance.getEntriesByType('navigation')[0];
  const fcp = performance.getEntriesByName('first-contentful-paint')[0];
  return {
    timeOrigin: performance.timeOrigin,
    fcp: fcp === undefined ? null : fcp.startTime,
    domContentLoaded: nav.domContentLoadedEventEnd,
    load: nav.loadEventEnd,
    rowsAt: b.rowsAt,
    paintedAt: b.paintedAt,
    rows: b.rows,
    document: timing(nav),
    resources: performance.getEntriesByType('resource').filter((r) => r.responseEnd > 0).map(timing),
    longTasks: b.longTasks,
  };
})()`;
}

/**
 * In a logged-in page: GET /api/v1/overview `times` times, timing the answer's headers, its body
 * and JSON.parse apart (the first is dropped as a warm-up by the caller).
 */
export function overviewDissectionExpression(times: number): string {
  return `(async () => {
  const out = [];
  for (let i = 0; i < ${times}; i++) {
    const t0 = performance.now();
    const res = await fetch('/api/v1/overview', { credentials: 'same-origin', cache: 'no-store' });
    const t1 = performance.now();
    const text = await res.text();
    const t2 = performance.now();
    const body = JSON.parse(text);
    const t3 = performance.now();
    const rows = Array.isArray(body) ? body.length : Array.isArray(body.rows) ? body.rows.length : Array.isArray(body.items) ? body.items.length : -1;
    out.push({ status: res.status, headersMs: t1 - t0, bodyMs: t2 - t1, parseMs: t3 - t2, chars: text.length, rows });
  }
  return out;
})()`;
}

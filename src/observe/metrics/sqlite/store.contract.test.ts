import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { metricsStoreContract } from '../contract.js';
import { openSqliteMetricsStore } from './store.js';

metricsStoreContract('sqlite', ({ now, retention }) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tandem-metrics-'));
  const store = openSqliteMetricsStore({
    file: path.join(dir, 'metrics.sqlite'),
    now,
    ...(retention ? { retention } : {}),
  });
  return Object.assign(store, { dispose: () => rmSync(dir, { recursive: true, force: true }) });
});

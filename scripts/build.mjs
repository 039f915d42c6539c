// Builds the CLI: one CommonJS bundle (dist/cli/tandem.cjs) and the launcher that runs it
// with a V8 code cache (dist/cli/main.js, see scripts/launcher.mjs). Loading one file
// instead of hundreds of modules (Kysely alone is ~300), compiled once, is what keeps
// `tandem` quick to start. Types are checked by `npm run typecheck`; this only bundles.
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync } from 'node:fs';
import { build } from 'esbuild';

mkdirSync('dist/cli', { recursive: true });
await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/cli/tandem.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20.19',
  sourcemap: true,
  // Less to parse; stack traces map back through the source map.
  minify: process.env.TANDEM_BUILD_DEBUG !== '1',
  keepNames: true,
  // better-sqlite3's JavaScript is bundled; its native addon is loaded from node_modules by
  // path (src/store/sqlite/backend.ts), so `bindings`, its path prober, is never needed.
  external: ['bindings'],
  // ESM dependencies (fdir) use import.meta.url, which a CommonJS bundle must provide.
  define: {
    'import.meta.url': '__tandemImportMetaUrl',
    // Snapshots of validated config are only trusted by the build that wrote them.
    __TANDEM_BUILD_ID__: JSON.stringify(`${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`),
  },
  banner: { js: "var __tandemImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
});
copyFileSync('scripts/launcher.mjs', 'dist/cli/main.js');
chmodSync('dist/cli/main.js', 0o755);
// The dashboard (web/ → dist/web, hashed assets; served by `tandem up` at `/`).
await (await import('./build-web.mjs')).buildWeb();

// Bundles the CLI into one ESM file: loading one file instead of hundreds of modules
// (Kysely alone is ~300) cuts Tandem's start-up time roughly in half. Types are checked by
// `npm run typecheck`; this step only transpiles and bundles.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/cli/main.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20.19',
  sourcemap: true,
  // Less to parse at every start; stack traces map back through the source map.
  minify: true,
  keepNames: true,
  // Native addon: loaded from node_modules at run time.
  external: ['better-sqlite3'],
  // Bundled CommonJS dependencies call require(); give them one.
  banner: {
    js: "import { createRequire as __tandemRequire } from 'node:module'; const require = __tandemRequire(import.meta.url);",
  },
  logLevel: 'warning',
});

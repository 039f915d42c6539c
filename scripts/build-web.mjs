// Builds the dashboard (web/) into dist/web: one JavaScript and one CSS file with content hashes
// in their names under assets/ (served with year-long cache headers by src/server/static.ts) and
// an index.html that references them. No CDN, no fonts: everything the page loads is here.
// `node scripts/build-web.mjs [--outdir DIR] [--json]` prints the sizes (raw and gzip).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * @param {{ outdir?: string, minify?: boolean }} [opts]
 * @returns {Promise<{ outdir: string, files: Array<{ file: string, bytes: number, gzipBytes: number }>, total: { bytes: number, gzipBytes: number } }>}
 */
export async function buildWeb(opts = {}) {
  // A given outdir is relative to the caller's directory; the default is the repository's dist/web.
  const outdir = opts.outdir === undefined ? path.join(repo, 'dist/web') : path.resolve(opts.outdir);
  const minify = opts.minify ?? process.env.TANDEM_BUILD_DEBUG !== '1';
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(path.join(outdir, 'assets'), { recursive: true });
  const result = await build({
    absWorkingDir: repo,
    entryPoints: { app: 'web/src/main.tsx', styles: 'web/styles.css' },
    outdir: path.join(outdir, 'assets'),
    entryNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    tsconfig: 'web/tsconfig.json',
    minify,
    sourcemap: minify ? false : 'linked',
    legalComments: 'none',
    define: { 'process.env.NODE_ENV': JSON.stringify(minify ? 'production' : 'development') },
    metafile: true,
    logLevel: 'warning',
  });
  const outputs = Object.keys(result.metafile.outputs).map((f) => path.resolve(repo, f));
  const js = outputs.find((f) => f.endsWith('.js'));
  const css = outputs.find((f) => f.endsWith('.css'));
  if (js === undefined || css === undefined) throw new Error('build-web: esbuild wrote no .js or no .css');
  const template = readFileSync(path.join(repo, 'web/index.html'), 'utf8');
  const html = template
    .replace('<!-- styles -->', `<link rel="stylesheet" href="/assets/${path.basename(css)}">`)
    .replace('<!-- script -->', `<script type="module" src="/assets/${path.basename(js)}"></script>`);
  if (html === template)
    throw new Error('build-web: web/index.html lost its <!-- styles --> / <!-- script --> marks');
  writeFileSync(path.join(outdir, 'index.html'), html);

  const files = [path.join(outdir, 'index.html'), ...outputs.filter((f) => !f.endsWith('.map'))].map((f) => {
    const body = readFileSync(f);
    return { file: path.relative(outdir, f), bytes: body.length, gzipBytes: gzipSync(body).length };
  });
  const total = files.reduce((t, f) => ({ bytes: t.bytes + f.bytes, gzipBytes: t.gzipBytes + f.gzipBytes }), {
    bytes: 0,
    gzipBytes: 0,
  });
  return { outdir, files, total };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--outdir');
  const out = await buildWeb(at >= 0 ? { outdir: args[at + 1] } : {});
  if (args.includes('--json')) console.log(JSON.stringify(out));
  else {
    for (const f of out.files) console.log(`${f.file}  ${kb(f.bytes)} (gzip ${kb(f.gzipBytes)})`);
    console.log(`total  ${kb(out.total.bytes)} (gzip ${kb(out.total.gzipBytes)})`);
  }
}

function kb(n) {
  return `${(n / 1024).toFixed(1)} KiB`;
}

#!/usr/bin/env node
// Tandem's start-up: runs the bundled CLI (tandem.cjs) through V8 with a code cache.
//
// Compiling the 1 MB bundle costs ~100 ms of every command on these machines, more than
// the work of a fully cached `tandem run`; Node 20 has no built-in compile cache
// (module.enableCompileCache arrived in 22.1). V8 rejects cached data that does not match
// the source, so a stale or foreign cache only costs a recompile. The cache lives in the
// user's own cache directory (never a shared /tmp path another user could plant).
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

const bundle = path.join(path.dirname(fileURLToPath(import.meta.url)), 'tandem.cjs');
const source = readFileSync(bundle, 'utf8');

/** One cache per installed bundle: its file name starts with this, followed by the build's tag. */
function cachePrefix() {
  return `compile-${Buffer.from(bundle).toString('base64url').slice(-40)}-`;
}

function cacheFile() {
  if (process.env.TANDEM_NO_COMPILE_CACHE) return undefined;
  try {
    const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
    const { size, mtimeMs } = statSync(bundle);
    const tag = `${process.version}-${size}-${Math.round(mtimeMs)}`;
    return path.join(
      base,
      'tandem',
      `compile-${Buffer.from(bundle).toString('base64url').slice(-40)}-${tag}.bin`,
    );
  } catch {
    return undefined;
  }
}

const cachePath = cacheFile();
let cachedData;
try {
  if (cachePath) cachedData = readFileSync(cachePath);
} catch {
  // No cache yet.
}

const wrapper = `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
const script = new Script(wrapper, { filename: bundle, cachedData });
const module = { exports: {} };
script.runInThisContext()(module.exports, createRequire(bundle), module, bundle, path.dirname(bundle));

if (cachePath && (cachedData === undefined || script.cachedDataRejected)) {
  // After the command ran, so the cache holds the functions it compiled lazily too.
  process.once('beforeExit', () => {
    try {
      mkdirSync(path.dirname(cachePath), { recursive: true, mode: 0o700 });
      const temp = `${cachePath}.${process.pid}.tmp`;
      writeFileSync(temp, script.createCachedData(), { mode: 0o600 });
      renameSync(temp, cachePath);
      // Caches of earlier builds of this same bundle are dead weight (~1 MB each): remove them.
      const dir = path.dirname(cachePath);
      for (const name of readdirSync(dir)) {
        if (name.startsWith(cachePrefix()) && path.join(dir, name) !== cachePath)
          rmSync(path.join(dir, name), { force: true });
      }
    } catch {
      // A cache is an optimisation: never fail a command over it.
    }
  });
}

export { explainMiss } from './explain.js';
export { hashFiles, listInputFiles, listOutputFiles } from './inputs.js';
export { CACHE_VERSION, type CacheKeyInput, computeCacheKey, shortKey } from './key.js';
export { type CachePutInput, CacheStore, type CacheStoreOptions, DEFAULT_CACHE_MAX_BYTES } from './store.js';
export type { CachedOutput, CacheEntry, CacheManifest } from './types.js';

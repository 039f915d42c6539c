export { type BuildTopInput, buildTopSnapshot } from './build-snapshot.js';
export { formatUptime, type RenderTopOptions, renderTop } from './render.js';
export type { TopAutoscale, TopEnvironment, TopInstance, TopService, TopSnapshot } from './types.js';

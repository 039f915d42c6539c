/** The strategy registry: decide() looks a rollout's strategy up here by name. */
import type { Strategy } from '../types.js';
import { blueGreen } from './blue-green.js';
import { canary } from './canary.js';
import { rolling } from './rolling.js';

export const strategies: ReadonlyMap<string, Strategy> = new Map<string, Strategy>([
  [rolling.name, rolling],
  [blueGreen.name, blueGreen],
  [canary.name, canary],
]);

export { type ConvergeLimits, type Convergence, convergeTo } from './rolling.js';
export { blueGreen, canary, rolling };

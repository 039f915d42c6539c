/** From a service's `slo:` to its objectives: availability, and one per latency quantile. */
import { TandemError } from '../../errors.js';
import type { LatencyQuantile, ServiceSlo, SloObjective } from './types.js';

export const DEFAULT_SLO_WINDOW = 30 * 24 * 3_600_000;

const QUANTILES: Record<LatencyQuantile, number> = { p50: 0.5, p90: 0.9, p95: 0.95, p99: 0.99 };

/** Throws TANDEM_SLO (exit 2) on an objective that leaves no budget or a non-positive window. */
export function sloObjectives(service: string, slo: ServiceSlo): SloObjective[] {
  const window = slo.window ?? DEFAULT_SLO_WINDOW;
  if (!(window > 0)) invalid(service, `the window must be positive, got ${window} ms`);
  const objectives: SloObjective[] = [];
  if (slo.availability !== undefined) {
    if (!(slo.availability > 0 && slo.availability < 1)) {
      invalid(
        service,
        `availability must be above 0% and below 100% (100% leaves no error budget), got ${slo.availability * 100}%`,
      );
    }
    objectives.push({
      service,
      name: 'availability',
      kind: 'availability',
      objective: slo.availability,
      window,
    });
  }
  for (const quantile of Object.keys(QUANTILES) as LatencyQuantile[]) {
    const thresholdMs = slo.latency?.[quantile];
    if (thresholdMs === undefined) continue;
    if (!(thresholdMs > 0))
      invalid(service, `latency ${quantile} must be a positive duration, got ${thresholdMs} ms`);
    objectives.push({
      service,
      name: `latency-${quantile}`,
      kind: 'latency',
      objective: QUANTILES[quantile],
      quantile,
      thresholdMs,
      window,
    });
  }
  return objectives;
}

function invalid(service: string, problem: string): never {
  throw new TandemError('TANDEM_SLO', `service "${service}" slo: ${problem}`, { exitCode: 2 });
}

/**
 * The metrics collector (issue 5): how the control plane fills the metrics store.
 *
 * Every tick (the nominal interval, e.g. 5 s), the control plane does:
 *
 *   const [state, stats, usage] = await Promise.all([agent.state(), agent.stats(), agent.usage()]);
 *   const samples = deriver.next(now, state, stats, usage);   // SampleDeriver, pure
 *   const { samples: app, failures } = await scraper.due(now, targets);
 *   store.write(samples, app);
 *
 * - state: the instances (which exist, their revision, health, pid); stats: the data planes'
 *   cumulative counters per listener and instance; usage: each instance's cumulative CPU seconds
 *   and RSS (GET /v1/usage, read from /proc by the agent; null entries when unknown).
 * - If state or stats cannot be read, skip the tick: do not pass `{}` for stats, the next tick's
 *   intervalMs covers the gap. usage may be missing (pass `{}`): CPU and RSS are then null.
 * - SampleDeriver turns the cumulative numbers into per-interval Samples (reset-aware, a baseline
 *   for what it sees first), one per existing instance plus one aggregate (`instance: ''`) per
 *   service.
 * - Scraper: for the instances of services with `metrics: {path}`, each at most once per scrape
 *   interval, 8 at a time, with a timeout and size cap per scrape. `targets` is built from the
 *   state: { subject: {environment, service, instance: id}, host: '127.0.0.1', port, path }, for
 *   instances that exist and have a port. A failure (or a malformed exposition, whose good lines
 *   are still kept) comes back in `failures`, to log and show; it never throws. The scrape can
 *   run beside the tick rather than inside it, since it may take up to its timeout.
 */

export {
  type ScrapeRound,
  Scraper,
  type ScraperOptions,
  type ScrapeTarget,
  scrapeInstance,
} from '../scrape/index.js';
export { SampleDeriver, type SampleDeriverOptions } from './sample-deriver.js';

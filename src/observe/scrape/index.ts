export { flattenFamilies } from './flatten.js';
export {
  DEFAULT_SCRAPE_MAX_BYTES,
  DEFAULT_SCRAPE_MAX_SERIES,
  type ScrapeOptions,
  type ScrapeResult,
  scrapeInstance,
} from './scrape-instance.js';
export { type ScrapeRound, Scraper, type ScraperOptions, type ScrapeTarget } from './scraper.js';

/** The typed API client (CLI and dashboard). */
export * from './api-client.js';
export * from './problem.js';
export * from './stream-url.js';

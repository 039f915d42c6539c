import { render } from 'preact';
import { App } from './app.js';
import { resolveTheme, THEME_KEY } from './lib/theme.js';

// The theme before the first paint, so a dark page does not flash white.
try {
  document.documentElement.dataset.theme = resolveTheme(
    localStorage.getItem(THEME_KEY),
    matchMedia('(prefers-color-scheme: dark)').matches,
  );
} catch {
  // Storage may be off; the CSS follows the system then.
}
render(<App />, document.getElementById('app') as HTMLElement);

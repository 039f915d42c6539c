/** Light and dark: the system's choice unless the viewer picked one (kept in localStorage). Pure. */

export type Theme = 'light' | 'dark';

export const THEME_KEY = 'tandem.theme';

/** The theme in effect: the stored choice when valid, else the system's. */
export function resolveTheme(stored: string | null, systemPrefersDark: boolean): Theme {
  if (stored === 'light' || stored === 'dark') return stored;
  return systemPrefersDark ? 'dark' : 'light';
}

export function otherTheme(theme: Theme): Theme {
  return theme === 'dark' ? 'light' : 'dark';
}

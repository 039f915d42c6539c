/** What every page gets from the app: the API client, who is logged in, and the announcer. */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Client } from './api/client.js';
import type { Session } from './api/types.js';

export interface AppContextValue {
  client: Client;
  session: Session;
  /** Says `message` in the page's polite live region (screen readers) and the toast line. */
  announce(message: string): void;
}

export const AppContext = createContext<AppContextValue | null>(null);

export function useApp(): AppContextValue {
  const value = useContext(AppContext);
  if (value === null) throw new Error('useApp outside <AppContext.Provider>');
  return value;
}

import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { type Client, createClient } from './api/client.js';
import type { Session } from './api/types.js';
import { ErrorBox } from './components/ErrorBox.js';
import { Layout, type Section } from './components/Layout.js';
import { AppContext, type AppContextValue } from './context.js';
import { navigate, useLocation } from './hooks.js';
import { parseRoute, type Route } from './lib/routes.js';
import { otherTheme, resolveTheme, THEME_KEY, type Theme } from './lib/theme.js';
import { Access } from './pages/Access.js';
import { Audit } from './pages/Audit.js';
import { Login } from './pages/Login.js';
import { NotFound } from './pages/NotFound.js';
import { Overview } from './pages/Overview.js';
import { Pipelines } from './pages/Pipelines.js';
import { RunPage } from './pages/RunPage.js';
import { ServicePage } from './pages/ServicePage.js';

const CSRF_KEY = 'tandem.csrf';

/** The app: checks the session, shows the login form or the page the URL names. */
export function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [bootError, setBootError] = useState<Error | null>(null);
  const client = useMemo<Client>(
    () =>
      createClient({
        fetch: (input, init) => fetch(input, init),
        onUnauthorized: () => setSession(null),
        storage: {
          get: () => tryStorage(() => sessionStorage.getItem(CSRF_KEY)) ?? null,
          set: (v) =>
            tryStorage(() =>
              v === null ? sessionStorage.removeItem(CSRF_KEY) : sessionStorage.setItem(CSRF_KEY, v),
            ),
        },
      }),
    [],
  );
  const check = useCallback(() => {
    setBootError(null);
    client.session().then(setSession, (err: Error) => setBootError(err));
  }, [client]);
  useEffect(check, [check]);
  // The overview is the usual first page: ask for it alongside the session check, not after it.
  useEffect(() => {
    if (location.pathname === '/') client.prefetchOverview();
  }, [client]);

  const [theme, setTheme] = useTheme();
  const [announcement, setAnnouncement] = useState('');
  const clearTimer = useRef<ReturnType<typeof setTimeout>>();
  const announce = useCallback((message: string) => {
    // Cleared first so the same words said twice are announced twice.
    setAnnouncement('');
    setTimeout(() => setAnnouncement(message), 50);
    clearTimeout(clearTimer.current);
    clearTimer.current = setTimeout(() => setAnnouncement(''), 8000);
  }, []);

  const loc = useLocation();
  const route = parseRoute(loc.pathname, loc.search);
  const loggedIn = session !== null && session !== undefined;
  const next = route.name === 'login' ? (route.next ?? '/') : null;
  useEffect(() => {
    if (loggedIn && next !== null) navigate(next, { replace: true });
  }, [loggedIn, next]);

  if (bootError !== null)
    return (
      <main id="main" class="login">
        <div class="login-card">
          <h1>Tandem</h1>
          <ErrorBox error={bootError} onRetry={check} />
        </div>
      </main>
    );
  if (session === undefined)
    return (
      <main id="main" class="login">
        <p class="muted">Loading…</p>
      </main>
    );
  if (session === null) return <Login client={client} onLogin={setSession} />;
  // Logged in on /login: the effect above moves on to `next`.
  if (route.name === 'login') return null;

  const ctx: AppContextValue = { client, session, announce };
  return (
    <AppContext.Provider value={ctx}>
      <Layout
        session={session}
        section={sectionOf(route)}
        theme={theme}
        onToggleTheme={() => setTheme(otherTheme(theme))}
        onLogout={() => {
          client.logout().catch(() => undefined);
          setSession(null);
        }}
        announcement={announcement}
        pageKey={loc.pathname}
      >
        <Page route={route} />
      </Layout>
    </AppContext.Provider>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.name) {
    case 'overview':
      return <Overview />;
    case 'pipelines':
      return <Pipelines />;
    case 'run':
      return <RunPage key={route.id} id={route.id} job={route.job} />;
    case 'service':
      return (
        <ServicePage
          key={route.service}
          service={route.service}
          environment={route.environment}
          range={route.range}
        />
      );
    case 'audit':
      return <Audit />;
    case 'access':
      return <Access />;
    case 'login':
      return null;
    case 'not-found':
      return <NotFound path={route.path} />;
  }
}

function sectionOf(route: Route): Section {
  switch (route.name) {
    case 'overview':
    case 'service':
      return route.name;
    case 'pipelines':
    case 'run':
      return 'pipelines';
    case 'audit':
    case 'access':
      return route.name;
    default:
      return 'other';
  }
}

/** The theme in effect: the viewer's pick, else the system's (followed live). */
function useTheme(): [Theme, (t: Theme) => void] {
  const media = typeof matchMedia === 'function' ? matchMedia('(prefers-color-scheme: dark)') : null;
  const [stored, setStored] = useState(() => tryStorage(() => localStorage.getItem(THEME_KEY)) ?? null);
  const [systemDark, setSystemDark] = useState(media?.matches ?? false);
  useEffect(() => {
    if (media === null) return;
    const on = (e: MediaQueryListEvent) => setSystemDark(e.matches);
    media.addEventListener('change', on);
    return () => media.removeEventListener('change', on);
  }, []);
  const theme = resolveTheme(stored, systemDark);
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  return [
    theme,
    (t) => {
      // Picking the system's own theme forgets the pick, so the page follows the system again.
      const value = t === (systemDark ? 'dark' : 'light') ? null : t;
      tryStorage(() =>
        value === null ? localStorage.removeItem(THEME_KEY) : localStorage.setItem(THEME_KEY, value),
      );
      setStored(value);
    },
  ];
}

function tryStorage<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

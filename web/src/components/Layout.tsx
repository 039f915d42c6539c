import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import type { Session } from '../api/types.js';
import { canReadAudit } from '../lib/roles.js';
import type { Theme } from '../lib/theme.js';
import { Link } from './Link.js';

export type Section = 'overview' | 'pipelines' | 'audit' | 'access' | 'service' | 'other';

/** The frame of every page: skip link, header with navigation, who is logged in, theme, logout. */
export function Layout(props: {
  session: Session;
  section: Section;
  theme: Theme;
  onToggleTheme(): void;
  onLogout(): void;
  announcement: string;
  /** Changes on navigation: focus moves to the new page's content. */
  pageKey: string;
  children: ComponentChildren;
}) {
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.focus();
  }, [props.pageKey]);
  const { principal } = props.session;
  const nav: Array<[Section, string, string]> = [
    ['overview', '/', 'Overview'],
    ['pipelines', '/pipelines', 'Pipelines'],
    ...(canReadAudit(principal.roles)
      ? ([
          ['audit', '/audit', 'Audit log'],
          ['access', '/access', 'Access'],
        ] as Array<[Section, string, string]>)
      : []),
  ];
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <Link href="/" class="brand">
          <svg viewBox="0 0 32 32" width="22" height="22" aria-hidden="true">
            <circle cx="11" cy="16" r="6" />
            <circle cx="21" cy="16" r="6" />
          </svg>
          Tandem
        </Link>
        <nav aria-label="Main">
          {nav.map(([key, href, label]) => (
            <Link
              key={key}
              href={href}
              data-testid={`nav-${key}`}
              aria-current={props.section === key ? 'page' : undefined}
            >
              {label}
            </Link>
          ))}
        </nav>
        <div class="who">
          <span data-testid="principal">
            {principal.name} <span class="muted">({principal.roles.join(', ') || 'no role'})</span>
          </span>
          <button
            type="button"
            class="ghost"
            aria-pressed={props.theme === 'dark'}
            data-testid="theme-toggle"
            onClick={props.onToggleTheme}
          >
            Dark theme
          </button>
          <button type="button" class="ghost" data-testid="logout" onClick={props.onLogout}>
            Log out
          </button>
        </div>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        {props.children}
      </main>
      <div class="toast" role="status" aria-live="polite" data-testid="announcer">
        {props.announcement}
      </div>
    </>
  );
}

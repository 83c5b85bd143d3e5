import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type Me } from './api.ts';
import { config } from './config.ts';
import { usePath } from './router.ts';
import { t } from './strings.ts';
import logo from './favicon.svg';
import { CreateEvent } from './pages/create-event.tsx';
import { Dashboard } from './pages/dashboard.tsx';
import { EventPage } from './pages/event-page.tsx';
import { Landing } from './pages/landing.tsx';
import { ReceiptPage } from './pages/receipt.tsx';
import { Payments } from './pages/payments.tsx';
import { NotFound } from './pages/not-found.tsx';
import { Settings } from './pages/settings.tsx';
import { Developers } from './pages/api-keys.tsx';
import { Tour } from './pages/tour.tsx';
import { Webhooks } from './pages/webhooks.tsx';

export interface PageProps {
  me: Me;
  setMe: (me: Me | null) => void;
}

type Route =
  | { page: 'landing' | 'tour' | 'dashboard' | 'create' | 'payments' | 'settings' | 'developers' | 'webhooks' | 'not-found' }
  | { page: 'event' | 'receipt'; id: string };

/** The same list the server answers pages for (src/web/routes.ts); anything else is a 404. */
function route(path: string): Route {
  const p = path.replace(/\/+$/, '') || '/';
  if (p === '/') return { page: 'landing' };
  if (p === '/tour' && config.mode === 'sandbox') return { page: 'tour' };
  if (p === '/app') return { page: 'dashboard' };
  if (p === '/app/new') return { page: 'create' };
  if (p === '/app/payments') return { page: 'payments' };
  if (p === '/app/settings') return { page: 'settings' };
  if (p === '/app/developers') return { page: 'developers' };
  if (p === '/app/webhooks') return { page: 'webhooks' };
  const m = /^\/app\/events\/([0-9a-f-]{36})$/i.exec(p);
  if (m) return { page: 'event', id: m[1]! };
  const receipt = /^\/app\/events\/([0-9a-f-]{36})\/receipt$/i.exec(p);
  if (receipt) return { page: 'receipt', id: receipt[1]! };
  return { page: 'not-found' };
}

const SIGNED_IN_ONLY = new Set(['dashboard', 'create', 'payments', 'settings', 'developers', 'webhooks', 'event', 'receipt']);

export function App() {
  const path = usePath();
  const r = route(path);
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [loadError, setLoadError] = useState(false);

  useEffect(() => {
    if (!config.signedIn) setMe(null);
    else api.me().then(setMe, () => setLoadError(true));
  }, []);

  // A page that needs a session, without one: the server's answer for it is the landing page.
  useEffect(() => {
    if (me === null && SIGNED_IN_ONLY.has(r.page)) location.assign('/');
  }, [me, r.page]);

  let content: ComponentChildren;
  if (loadError) content = <LoadFailed />;
  else if (r.page === 'landing') content = <Landing me={me ?? null} />;
  else if (r.page === 'tour') content = <Tour />;
  else if (r.page === 'not-found') content = <NotFound />;
  else if (!me) content = <p class="muted">{t.loading}</p>;
  else if (r.page === 'dashboard') content = <Dashboard me={me} setMe={setMe} />;
  else if (r.page === 'create') content = <CreateEvent me={me} setMe={setMe} />;
  else if (r.page === 'payments') content = <Payments me={me} setMe={setMe} />;
  else if (r.page === 'settings') content = <Settings me={me} setMe={setMe} />;
  else if (r.page === 'developers') content = <Developers me={me} setMe={setMe} />;
  else if (r.page === 'webhooks') content = <Webhooks me={me} setMe={setMe} />;
  else if (r.page === 'event') content = <EventPage key={r.id} id={r.id} me={me} setMe={setMe} />;
  else if (r.page === 'receipt') content = <ReceiptPage key={r.id} id={r.id} me={me} setMe={setMe} />;

  return (
    // With a session cookie the navigation is drawn at once, before /api/v1/me answers: drawn
    // later, it would push the page down (a layout shift Lighthouse counts).
    <Layout me={me ?? null} signedIn={me ? true : me === undefined && config.signedIn} path={path} wide={r.page === 'dashboard'}>
      {content}
    </Layout>
  );
}

function LoadFailed() {
  return (
    <section class="card">
      <h1>{t.failed}</h1>
      <p>{t.errors.network}</p>
      <p>
        <button type="button" onClick={() => location.reload()}>
          {t.retry}
        </button>
      </p>
    </section>
  );
}

function Layout({ me, signedIn, path, wide, children }: { me: Me | null; signedIn: boolean; path: string; wide: boolean; children: ComponentChildren }) {
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);
  // After moving to another page, reading starts at its heading (screen readers announce it).
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const h1 = main.current?.querySelector('h1');
    if (h1) {
      h1.setAttribute('tabindex', '-1');
      h1.focus();
    }
    scrollTo(0, 0);
  }, [path]);
  useEffect(() => {
    const h1 = main.current?.querySelector('h1')?.textContent;
    document.title = h1 ? `${h1} · ${t.brand}` : t.brand;
  });
  const link = (href: string, label: string) => (
    <a href={href} aria-current={path === href ? 'page' : undefined}>
      {label}
    </a>
  );
  const g = me?.google;
  return (
    <>
      <a class="skip" href="#main">
        {t.skip}
      </a>
      <header class="top">
        <div class="top-inner">
          <a class="brand" href={signedIn ? '/app' : '/'}>
            <img src={logo} alt="" width="24" height="24" />
            {t.brand}
          </a>
          {config.mode === 'sandbox' ? (
            <a class="sandbox-badge" href="/tour" id="sandbox-badge">
              {t.sandbox.badge}
            </a>
          ) : null}
          {signedIn ? (
            <nav aria-label={t.nav.primary}>
              {link('/app', t.nav.events)}
              {link('/app/new', t.nav.create)}
              {link('/app/payments', t.nav.payments)}
              {link('/app/settings', t.nav.settings)}
            </nav>
          ) : null}
        </div>
      </header>
      {g && g.status !== 'active' ? (
        <div class="banner" id="google-status" data-status={g.status} role="status">
          <p>{g.status === 'needs_reconnect' ? t.google.needsReconnect : t.google.none}</p>
          <a class="button" href={`${g.reconnectUrl}&loginHint=${encodeURIComponent(me.user.email)}`}>
            {t.google.reconnect}
          </a>
        </div>
      ) : null}
      <main id="main" ref={main} class={wide ? 'wide' : undefined} tabIndex={-1}>
        {children}
      </main>
      <footer class="foot">
        <a href="/api/docs">{t.apiRef}</a> · <a href="/api/v1/openapi.json">{t.openapi}</a>
      </footer>
    </>
  );
}

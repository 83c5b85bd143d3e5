import type { FunctionComponent } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { PageProps } from '../app.tsx';
import { api } from '../api.ts';
import { problemText } from '../errors.ts';
import { t } from '../strings.ts';

export function Settings({ me, setMe }: PageProps) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [said, setSaid] = useState<string | null>(null);
  const g = me.google;
  // The admin section is a chunk of its own, fetched only by admins: everyone else's pages stay small.
  const [Admin, setAdmin] = useState<FunctionComponent | null>(null);
  useEffect(() => {
    if (me.isAdmin) import('./admin-settings.tsx').then((m) => setAdmin(() => m.AdminSettingsSection), () => setError(t.admin.loadFailed));
  }, [me.isAdmin]);
  const disconnect = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.disconnectGoogle();
      setAsking(false);
      setSaid(t.settings.disconnected);
      const fresh = await api.me();
      setMe(fresh);
    } catch (err) {
      setError(problemText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <h1>{t.settings.title}</h1>
      <section class="card" aria-labelledby="account">
        <h2 id="account">{t.settings.account}</h2>
        <p id="account-email">{t.settings.signedInAs(me.user.email)}</p>
        <p>
          {t.settings.calendarAccess}:{' '}
          <strong id="google-state" data-status={g.status}>
            {t.google.status[g.status] ?? g.status}
          </strong>
        </p>
        <p class="actions">
          <a class="button secondary" href={`${g.reconnectUrl}&loginHint=${encodeURIComponent(me.user.email)}&returnTo=${encodeURIComponent('/app/settings')}`}>
            {t.google.reconnect}
          </a>
          {g.status === 'active' && !asking ? (
            <button type="button" class="secondary" onClick={() => setAsking(true)}>
              {t.settings.disconnect}
            </button>
          ) : null}
        </p>
        <p class="muted">{t.settings.reconnectHint}</p>
        {asking ? (
          <div class="confirm" role="group" aria-label={t.settings.disconnect}>
            <p>{t.settings.disconnectAsk}</p>
            <p class="actions">
              <button type="button" class="danger" disabled={busy} onClick={disconnect}>
                {t.settings.disconnectYes}
              </button>
              <button type="button" class="secondary" onClick={() => setAsking(false)}>
                {t.settings.keep}
              </button>
            </p>
          </div>
        ) : null}
        <div aria-live="polite">
          {said ? <p class="ok-note">{said}</p> : null}
          {error ? <p class="error">{error}</p> : null}
        </div>
      </section>
      <section class="card" aria-labelledby="developers">
        <h2 id="developers">{t.settings.developers}</h2>
        <p>{t.settings.developersLead}</p>
        <p>
          <a href="/app/developers">{t.settings.developersLink}</a>
        </p>
        <p>{t.settings.webhooksLead}</p>
        <p>
          <a href="/app/webhooks" id="webhooks-link">
            {t.settings.webhooksLink}
          </a>
        </p>
      </section>
      <section class="card" aria-labelledby="session">
        <h2 id="session">{t.settings.session}</h2>
        {/* A plain form: signing out works the same with or without this page's script. */}
        <form method="post" action="/auth/logout">
          <input type="hidden" name="_csrf" value={me.csrfToken ?? ''} />
          <button type="submit">{t.settings.signOut}</button>
        </form>
      </section>
      {Admin ? <Admin /> : null}
    </>
  );
}

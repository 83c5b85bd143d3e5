import { useEffect, useState } from 'preact/hooks';
import type { PageProps } from '../app.tsx';
import { api, type ApiKey, type OAuthClient } from '../api.ts';
import { problemText } from '../errors.ts';
import { when } from '../format.ts';
import { t } from '../strings.ts';

type Scope = 'read' | 'write';

/** One row of either list: what the page shows of an API key or an OAuth client. */
interface Item {
  id: string;
  name: string | null;
  /** The key's prefix or the client's id: how to recognise it elsewhere. */
  handle: string;
  scopes: Scope[];
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** What creating one returns that is shown this once. */
interface Shown {
  item: Item;
  values: { label: string; copy: string; value: string; id: string }[];
}

interface SectionProps {
  id: 'keys' | 'clients';
  heading: string;
  lead: string;
  createLabel: string;
  revokeAsk: (name: string) => string;
  load: () => Promise<Item[]>;
  create: (name: string | undefined, scope: Scope) => Promise<Shown>;
  revoke: (id: string) => Promise<unknown>;
}

const keyItem = (k: ApiKey): Item => ({ id: k.id, name: k.name, handle: k.prefix, scopes: [k.scope], createdAt: k.createdAt, lastUsedAt: k.lastUsedAt, revokedAt: k.revokedAt });
const clientItem = (c: OAuthClient): Item => ({ id: c.id, name: c.name, handle: c.clientId, scopes: c.scopes, createdAt: c.createdAt, lastUsedAt: c.lastUsedAt, revokedAt: c.revokedAt });

/** /app/developers: the person's API keys and OAuth clients. */
export function Developers(_props: PageProps) {
  return (
    <>
      <h1>{t.developers.title}</h1>
      <p>{t.developers.lead}</p>
      <CredentialSection
        id="keys"
        heading={t.developers.keys}
        lead={t.developers.keysLead}
        createLabel={t.developers.createKey}
        revokeAsk={t.developers.revokeKeyAsk}
        load={async () => (await api.apiKeys()).apiKeys.map(keyItem)}
        create={async (name, scope) => {
          const k = await api.createApiKey({ name, scope });
          return { item: keyItem(k), values: [{ label: t.developers.newKey, copy: t.developers.copyKey, value: k.secret, id: 'keys-secret' }] };
        }}
        revoke={api.revokeApiKey}
      />
      <CredentialSection
        id="clients"
        heading={t.developers.clients}
        lead={t.developers.clientsLead}
        createLabel={t.developers.createClient}
        revokeAsk={t.developers.revokeClientAsk}
        load={async () => (await api.oauthClients()).oauthClients.map(clientItem)}
        create={async (name, scope) => {
          const c = await api.createOAuthClient({ name, scopes: scope === 'write' ? ['read', 'write'] : ['read'] });
          return {
            item: clientItem(c),
            values: [
              { label: t.developers.clientId, copy: t.developers.copyClientId, value: c.clientId, id: 'clients-id' },
              { label: t.developers.newClientSecret, copy: t.developers.copySecret, value: c.clientSecret, id: 'clients-secret' },
            ],
          };
        }}
        revoke={api.revokeOAuthClient}
      />
    </>
  );
}

function CredentialSection(p: SectionProps) {
  const [items, setItems] = useState<Item[] | null>(null);
  const [name, setName] = useState('');
  const [scope, setScope] = useState<Scope>('read');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [shown, setShown] = useState<Shown | null>(null);
  const [asking, setAsking] = useState<string | null>(null);
  const [said, setSaid] = useState<string | null>(null);

  useEffect(() => {
    p.load().then(setItems, (err) => setError(problemText(err)));
  }, []);

  const label = (i: Item) => i.name ?? t.developers.unnamed;

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setSaid(null);
    try {
      const created = await p.create(name.trim() || undefined, scope);
      setShown(created);
      setItems((list) => [created.item, ...(list ?? [])]);
      setName('');
    } catch (err) {
      setError(problemText(err));
    } finally {
      setBusy(false);
    }
  };

  const revoke = async (item: Item) => {
    setBusy(true);
    setError(null);
    try {
      await p.revoke(item.id);
      setAsking(null);
      setSaid(t.developers.revokedNote(label(item)));
      setItems(await p.load());
    } catch (err) {
      setError(problemText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card" aria-labelledby={`${p.id}-heading`} id={p.id}>
      <h2 id={`${p.id}-heading`}>{p.heading}</h2>
      <p class="muted">{p.lead}</p>
      <form onSubmit={submit}>
        <div class="field">
          <label for={`${p.id}-name`}>{t.developers.name}</label>
          <input id={`${p.id}-name`} maxLength={100} placeholder={t.developers.namePlaceholder} value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for={`${p.id}-scope`}>{t.developers.scope}</label>
          <select id={`${p.id}-scope`} value={scope} onChange={(e) => setScope(e.currentTarget.value as Scope)}>
            <option value="read">{t.developers.scopes['read']}</option>
            <option value="write">{t.developers.scopes['write']}</option>
          </select>
        </div>
        <p class="actions">
          <button type="submit" id={`${p.id}-create`} disabled={busy}>
            {busy ? t.developers.creating : p.createLabel}
          </button>
        </p>
      </form>
      <div aria-live="polite">
        {shown ? <ShownOnce shown={shown} onDone={() => setShown(null)} /> : null}
        {said ? <p class="ok-note">{said}</p> : null}
        {error ? <p class="error">{error}</p> : null}
      </div>
      {items === null ? (
        <p class="muted">{t.loading}</p>
      ) : items.length === 0 ? (
        <p class="muted">{t.developers.none}</p>
      ) : (
        <ul class="credentials" id={`${p.id}-list`}>
          {items.map((i) => (
            <li key={i.id} data-id={i.id} data-revoked={i.revokedAt ? 'true' : undefined}>
              <p>
                <strong>{label(i)}</strong> · {i.scopes.includes('write') ? t.developers.scopes['write'] : t.developers.scopes['read']}
              </p>
              <p>
                <code>{i.handle}</code>
              </p>
              <p class="muted">
                {t.developers.created} {when(i.createdAt)} · {t.developers.lastUsed}: <span class="last-used">{i.lastUsedAt ? when(i.lastUsedAt) : t.developers.never}</span>
                {i.revokedAt ? ` · ${t.developers.revoked} ${when(i.revokedAt)}` : null}
              </p>
              {i.revokedAt ? null : asking === i.id ? (
                <div class="confirm" role="group" aria-label={`${t.developers.revoke} ${label(i)}`}>
                  <p>{p.revokeAsk(label(i))}</p>
                  <p class="actions">
                    <button type="button" class="danger" disabled={busy} onClick={() => revoke(i)}>
                      {t.developers.revokeYes}
                    </button>
                    <button type="button" class="secondary" onClick={() => setAsking(null)}>
                      {t.developers.keep}
                    </button>
                  </p>
                </div>
              ) : (
                <p class="actions">
                  <button type="button" class="secondary revoke" aria-label={`${t.developers.revoke} ${label(i)}`} onClick={() => setAsking(i.id)}>
                    {t.developers.revoke}
                  </button>
                </p>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** The secret, with a warning that it will not be shown again and a copy button for each value. */
function ShownOnce({ shown, onDone }: { shown: Shown; onDone: () => void }) {
  const [copied, setCopied] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);
  const copy = async (id: string, value: string) => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied(id);
      setFailed(false);
    } catch {
      setFailed(true);
    }
  };
  return (
    <div class="warning shown-once">
      <p>{t.developers.shownOnce}</p>
      {shown.values.map((v) => (
        <div class="field" key={v.id}>
          <p>
            <strong id={`${v.id}-label`}>{v.label}</strong>
          </p>
          <p>
            <code id={v.id} aria-labelledby={`${v.id}-label`}>
              {v.value}
            </code>
          </p>
          <p class="actions">
            <button type="button" class="secondary" onClick={() => copy(v.id, v.value)}>
              {copied === v.id ? t.developers.copied : v.copy}
            </button>
          </p>
        </div>
      ))}
      {failed ? <p>{t.developers.copyFailed}</p> : null}
      <p class="actions">
        <button type="button" onClick={onDone}>
          {t.developers.done}
        </button>
      </p>
    </div>
  );
}

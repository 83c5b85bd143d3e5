import { useEffect, useState } from 'preact/hooks';
import type { PageProps } from '../app.tsx';
import { api, type WebhookDelivery, type WebhookEndpoint, type WebhookType } from '../api.ts';
import { problemText } from '../errors.ts';
import { milliseconds, when } from '../format.ts';
import { t } from '../strings.ts';

// Every type the API knows, in the order docs/webhooks.md gives: the compiler checks this against
// the OpenAPI document's WebhookType, so a type added there fails the build until it is listed here.
const TYPES = Object.keys({
  'event.created': 1,
  'event.confirmed': 1,
  'event.failed': 1,
  'event.expired': 1,
  'event.cancelled': 1,
  'payment.created': 1,
  'payment.completed': 1,
  'payment.failed': 1,
  'payment.expired': 1,
  'payment.cancelled': 1,
  'payment.refunded': 1,
  'payment.reversed': 1,
} satisfies Record<WebhookType, 1>) as WebhookType[];

/** /app/webhooks: the person's webhook endpoints, their secrets (shown once) and delivery logs. */
export function Webhooks(_props: PageProps) {
  const [endpoints, setEndpoints] = useState<WebhookEndpoint[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [secret, setSecret] = useState<{ url: string; value: string } | null>(null);
  const [said, setSaid] = useState<string | null>(null);

  const load = async () => {
    try {
      setEndpoints((await api.webhookEndpoints()).endpoints);
    } catch (err) {
      setError(problemText(err));
    }
  };
  useEffect(() => void load(), []);

  const replace = (e: WebhookEndpoint) => setEndpoints((list) => (list ?? []).map((x) => (x.id === e.id ? e : x)));

  return (
    <>
      <h1>{t.webhooks.title}</h1>
      <p>{t.webhooks.lead}</p>
      {secret ? <SecretOnce secret={secret} onDone={() => setSecret(null)} /> : null}
      <AddEndpoint
        onCreated={(e) => {
          const { secret: value, ...endpoint } = e;
          setEndpoints((list) => [...(list ?? []), endpoint]);
          setSecret({ url: e.url, value });
          setSaid(null);
        }}
      />
      <section aria-labelledby="endpoints-title">
        <h2 id="endpoints-title">{t.webhooks.yours}</h2>
        <div aria-live="polite">
          {said ? <p class="ok-note">{said}</p> : null}
          {error ? <p class="error">{error}</p> : null}
        </div>
        {endpoints === null ? (
          <p class="muted">{t.loading}</p>
        ) : endpoints.length === 0 ? (
          <p class="muted" id="no-endpoints">
            {t.webhooks.none}
          </p>
        ) : (
          <ul class="plain" id="endpoints">
            {endpoints.map((e) => (
              <EndpointCard
                key={e.id}
                endpoint={e}
                onChange={replace}
                onSecret={(value) => {
                  setSecret({ url: e.url, value });
                  setSaid(t.webhooks.rotated);
                }}
                onDeleted={() => {
                  setEndpoints((list) => (list ?? []).filter((x) => x.id !== e.id));
                  setSaid(t.webhooks.deleted);
                }}
              />
            ))}
          </ul>
        )}
      </section>
    </>
  );
}

function SecretOnce({ secret, onDone }: { secret: { url: string; value: string }; onDone: () => void }) {
  const [copied, setCopied] = useState<string | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(secret.value);
      setCopied(t.webhooks.copied);
    } catch {
      setCopied(t.webhooks.copyFailed);
    }
  };
  return (
    <section class="card" aria-labelledby="secret-title" id="secret-once">
      <h2 id="secret-title">{t.webhooks.secretTitle}</h2>
      <p>{t.webhooks.secretOnce}</p>
      <p class="muted">{secret.url}</p>
      <p>
        <code id="webhook-secret" class="secret">
          {secret.value}
        </code>
      </p>
      <p class="actions">
        <button type="button" onClick={copy}>
          {t.webhooks.copy}
        </button>
        <button type="button" class="secondary" onClick={onDone}>
          {t.webhooks.done}
        </button>
      </p>
      <p aria-live="polite">{copied}</p>
    </section>
  );
}

function AddEndpoint({ onCreated }: { onCreated: (e: Awaited<ReturnType<typeof api.createWebhookEndpoint>>) => void }) {
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [types, setTypes] = useState<WebhookType[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (ev: Event) => {
    ev.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const created = await api.createWebhookEndpoint({ url: url.trim(), ...(description.trim() ? { description: description.trim() } : {}), ...(types.length ? { types } : {}) });
      setUrl('');
      setDescription('');
      setTypes([]);
      onCreated(created);
    } catch (err) {
      setError(problemText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card" aria-labelledby="add-title">
      <h2 id="add-title">{t.webhooks.add}</h2>
      <form onSubmit={submit} id="add-endpoint">
        <p>
          <label for="webhook-url">{t.webhooks.url}</label>
          <input id="webhook-url" type="url" required value={url} aria-describedby="webhook-url-hint" onInput={(e) => setUrl(e.currentTarget.value)} />
          <span class="muted hint" id="webhook-url-hint">
            {t.webhooks.urlHint}
          </span>
        </p>
        <p>
          <label for="webhook-description">{t.webhooks.description}</label>
          <input id="webhook-description" maxLength={500} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
        </p>
        <fieldset aria-describedby="webhook-types-hint">
          <legend>{t.webhooks.types}</legend>
          <p class="muted hint" id="webhook-types-hint">
            {t.webhooks.typesHint}
          </p>
          <div class="type-options">
            {TYPES.map((type) => (
              <label key={type}>
                <input
                  type="checkbox"
                  name="types"
                  value={type}
                  checked={types.includes(type)}
                  onChange={(e) => setTypes((list) => (e.currentTarget.checked ? [...list, type] : list.filter((x) => x !== type)))}
                />{' '}
                <code>{type}</code>
              </label>
            ))}
          </div>
        </fieldset>
        <p>
          <button type="submit" disabled={busy}>
            {t.webhooks.create}
          </button>
        </p>
        <div aria-live="polite">{error ? <p class="error">{error}</p> : null}</div>
      </form>
    </section>
  );
}

function EndpointCard({
  endpoint: e,
  onChange,
  onSecret,
  onDeleted,
}: {
  endpoint: WebhookEndpoint;
  onChange: (e: WebhookEndpoint) => void;
  onSecret: (secret: string) => void;
  onDeleted: () => void;
}) {
  const [busy, setBusy] = useState(false);
  const [asking, setAsking] = useState(false);
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const act = async (fn: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
    } catch (err) {
      setError(problemText(err));
    } finally {
      setBusy(false);
    }
  };
  const titleId = `endpoint-${e.id}`;
  return (
    <li class="card endpoint" aria-labelledby={titleId} data-endpoint={e.id}>
      <h3 id={titleId} class="url">
        {e.url}
      </h3>
      {e.description ? <p>{e.description}</p> : null}
      <p>
        <strong class="endpoint-status" data-enabled={String(e.enabled)}>
          {e.enabled ? t.webhooks.enabled : t.webhooks.disabled}
        </strong>
        {e.disabledReason ? ` — ${e.disabledReason}` : null}
      </p>
      <p class="muted">{e.types === null ? t.webhooks.allTypes : e.types.join(', ')}</p>
      {e.previousSecretExpiresAt ? <p class="muted">{t.webhooks.previousUntil(when(e.previousSecretExpiresAt))}</p> : null}
      <p class="actions">
        <button type="button" class="secondary" aria-expanded={open} onClick={() => setOpen(!open)}>
          {open ? t.webhooks.hideLog : t.webhooks.showLog}
        </button>
        <button type="button" class="secondary" disabled={busy} onClick={() =>
            act(async () => {
              const { secret, ...endpoint } = await api.rotateWebhookSecret(e.id);
              onChange(endpoint);
              onSecret(secret);
            })
          }>
          {t.webhooks.rotate}
        </button>
        <button type="button" class="secondary" disabled={busy} onClick={() => act(async () => onChange(await api.updateWebhookEndpoint(e.id, { enabled: !e.enabled })))}>
          {e.enabled ? t.webhooks.disable : t.webhooks.enable}
        </button>
        {!asking ? (
          <button type="button" class="secondary" onClick={() => setAsking(true)}>
            {t.webhooks.delete}
          </button>
        ) : null}
      </p>
      {asking ? (
        <div class="confirm" role="group" aria-label={t.webhooks.delete}>
          <p>{t.webhooks.deleteAsk(e.url)}</p>
          <p class="actions">
            <button type="button" class="danger" disabled={busy} onClick={() => act(async () => (await api.deleteWebhookEndpoint(e.id), onDeleted()))}>
              {t.webhooks.deleteYes}
            </button>
            <button type="button" class="secondary" onClick={() => setAsking(false)}>
              {t.webhooks.keep}
            </button>
          </p>
        </div>
      ) : null}
      <div aria-live="polite">{error ? <p class="error">{error}</p> : null}</div>
      {open ? <DeliveryLog endpoint={e} /> : null}
    </li>
  );
}

function DeliveryLog({ endpoint }: { endpoint: WebhookEndpoint }) {
  const [deliveries, setDeliveries] = useState<WebhookDelivery[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [said, setSaid] = useState<string | null>(null);
  const load = async (cursor?: string | null) => {
    try {
      const page = await api.webhookDeliveries(endpoint.id, cursor);
      setDeliveries((list) => (cursor ? [...(list ?? []), ...page.deliveries] : page.deliveries));
      setNext(page.nextCursor);
    } catch (err) {
      setError(problemText(err));
    }
  };
  useEffect(() => void load(), [endpoint.id]);
  const redeliver = async (d: WebhookDelivery) => {
    setError(null);
    try {
      const fresh = await api.redeliverWebhook(d.id);
      setSaid(t.webhooks.redelivered(fresh.succeeded));
      await load();
    } catch (err) {
      setError(problemText(err));
    }
  };
  const headingId = `log-${endpoint.id}`;
  return (
    <section aria-labelledby={headingId} class="delivery-log">
      <h4 id={headingId}>{t.webhooks.logTitle(endpoint.url)}</h4>
      <p>
        <button type="button" class="secondary" onClick={() => load()}>
          {t.webhooks.refresh}
        </button>
      </p>
      <div aria-live="polite">
        {said ? <p class="ok-note">{said}</p> : null}
        {error ? <p class="error">{error}</p> : null}
      </div>
      {deliveries === null ? (
        <p class="muted">{t.loading}</p>
      ) : deliveries.length === 0 ? (
        <p class="muted">{t.webhooks.noDeliveries}</p>
      ) : (
        <ol class="plain deliveries">
          {deliveries.map((d) => (
            <li key={d.id} class="delivery" data-delivery={d.id} data-succeeded={String(d.succeeded)}>
              <p>
                <strong>{d.succeeded ? t.webhooks.ok : t.webhooks.failed}</strong> · <code>{d.type}</code> · {t.webhooks.attempt(d.attempt, d.manual)} ·{' '}
                {t.webhooks.status(d.statusCode)} · {milliseconds(d.durationMs)} · <time dateTime={d.at}>{when(d.at)}</time>
              </p>
              {d.error ? <p class="muted">{d.error}</p> : null}
              {d.responseExcerpt ? <pre class="excerpt">{d.responseExcerpt}</pre> : null}
              <p>
                <button type="button" class="secondary" onClick={() => redeliver(d)}>
                  {t.webhooks.redeliver}
                </button>
              </p>
            </li>
          ))}
        </ol>
      )}
      {next ? (
        <p>
          <button type="button" class="secondary" onClick={() => load(next)}>
            {t.webhooks.more}
          </button>
        </p>
      ) : null}
    </section>
  );
}

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { MailOutbox, StoredMail } from './outbox.ts';

/**
 * The outbox over HTTP: /__sandbox/mail is a page for people (newest first) and, asked for JSON
 * (`Accept: application/json`, or /__sandbox/mail.json), the same list for tests and tools.
 * A mail's HTML is shown in a sandboxed frame with no scripts, under a CSP that loads nothing.
 */

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** No script, no remote content, on any outbox page or the frame inside it. */
const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-src 'self'; base-uri 'none'; form-action 'none'";

function summary(m: StoredMail, base: string) {
  return {
    ...m,
    attachments: m.attachments.map((a, i) => ({
      filename: a.filename,
      contentType: a.contentType,
      size: a.size,
      url: `${base}/__sandbox/mail/${m.id}/attachments/${i}`,
      // Text attachments (an .ics) readable as they are; every attachment as base64.
      ...(a.contentType.startsWith('text/') ? { text: Buffer.from(a.content, 'base64').toString('utf8') } : {}),
      content: a.content,
    })),
  };
}

export function registerMailRoutes(app: FastifyInstance, outbox: MailOutbox, baseUrl: () => string) {
  const list = () => ({ smtpUrl: outbox.url, mails: [...outbox.mails].reverse().map((m) => summary(m, baseUrl())) });
  const wantsJson = (req: FastifyRequest) => /application\/json/.test(String(req.headers.accept ?? '')) && !/text\/html/.test(String(req.headers.accept ?? ''));
  const html = (reply: FastifyReply, body: string) => reply.type('text/html; charset=utf-8').header('content-security-policy', CSP).send(body);

  app.get('/__sandbox/mail.json', async () => list());
  app.get('/__sandbox/mail', async (req, reply) => (wantsJson(req) ? list() : html(reply, listPage(outbox))));
  app.delete('/__sandbox/mail', async () => {
    outbox.clear();
    return { ok: true };
  });

  app.get<{ Params: { id: string } }>('/__sandbox/mail/:id', async (req, reply) => {
    const m = outbox.find(req.params.id);
    if (!m) return reply.status(404).send({ error: 'not_found' });
    return wantsJson(req) ? summary(m, baseUrl()) : html(reply, mailPage(m));
  });

  // The mail's own HTML, as the frame's document: served apart so the frame's sandbox applies to it alone.
  app.get<{ Params: { id: string } }>('/__sandbox/mail/:id/html', async (req, reply) => {
    const m = outbox.find(req.params.id);
    if (!m?.html) return reply.status(404).send({ error: 'not_found' });
    return reply.type('text/html; charset=utf-8').header('content-security-policy', `${CSP}; sandbox`).send(m.html);
  });

  app.get<{ Params: { id: string; index: string } }>('/__sandbox/mail/:id/attachments/:index', async (req, reply) => {
    const a = outbox.find(req.params.id)?.attachments[Number(req.params.index)];
    if (!a) return reply.status(404).send({ error: 'not_found' });
    const name = (a.filename ?? `attachment-${req.params.index}`).replace(/["\\\r\n]/g, '_');
    return reply
      .type(a.contentType)
      .header('content-disposition', `attachment; filename="${name}"`)
      .header('x-content-type-options', 'nosniff')
      .send(Buffer.from(a.content, 'base64'));
  });
}

const STYLE = `<style>body{font:14px system-ui,sans-serif;margin:2rem;max-width:70rem}table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3rem .6rem;border-bottom:1px solid #ddd;vertical-align:top}pre{background:#f5f5f7;padding:1rem;white-space:pre-wrap}iframe{width:100%;height:30rem;border:1px solid #ccc}</style>`;

function listPage(outbox: MailOutbox): string {
  const rows = [...outbox.mails]
    .reverse()
    .map((m) => `<tr><td>${esc(new Date(m.receivedAt).toISOString().replace('T', ' ').slice(0, 19))} UTC</td><td>${esc(m.envelope.to.join(', '))}</td><td><a href="/__sandbox/mail/${esc(m.id)}">${esc(m.subject ?? '(no subject)')}</a></td><td>${m.attachments.length ? `${m.attachments.length} attachment(s)` : ''}</td></tr>`)
    .join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sandbox outbox</title>${STYLE}</head><body>
<h1>Sandbox outbox</h1>
<p>Every mail LeadsCalendar sent in sandbox mode (SMTP server <code>${esc(outbox.url)}</code>), newest first. Nothing leaves this machine. JSON: <code>/__sandbox/mail.json</code>; empty it with <code>DELETE /__sandbox/mail</code>.</p>
${rows ? `<table><thead><tr><th>Received</th><th>To</th><th>Subject</th><th></th></tr></thead><tbody>${rows}</tbody></table>` : '<p>No mail yet.</p>'}
</body></html>`;
}

function mailPage(m: StoredMail): string {
  const attachments = m.attachments
    .map((a, i) => `<li><a href="/__sandbox/mail/${esc(m.id)}/attachments/${i}" download>${esc(a.filename ?? `attachment-${i}`)}</a> (${esc(a.contentType)}, ${a.size} bytes)</li>`)
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(m.subject ?? 'Mail')}</title>${STYLE}</head><body>
<p><a href="/__sandbox/mail">← Outbox</a></p>
<h1>${esc(m.subject ?? '(no subject)')}</h1>
<table>
<tr><th>From</th><td>${esc(m.from ?? '')}</td></tr>
<tr><th>To</th><td>${esc(m.to ?? m.envelope.to.join(', '))}</td></tr>
<tr><th>Received</th><td>${esc(m.receivedAt)}</td></tr>
<tr><th>Message-ID</th><td>${esc(m.messageId ?? '')}</td></tr>
</table>
${attachments ? `<h2>Attachments</h2><ul>${attachments}</ul>` : ''}
${m.html ? `<h2>HTML</h2><iframe sandbox src="/__sandbox/mail/${esc(m.id)}/html" title="The mail's HTML part"></iframe>` : ''}
<h2>Text</h2><pre>${esc(m.text ?? '')}</pre>
</body></html>`;
}

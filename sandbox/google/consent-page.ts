import { SCOPE } from './scopes.ts';
import type { TestUser } from './state.ts';

/**
 * The emulated Google sign-in and consent screen, and Google's error page. Plain HTML with inline
 * style only (no scripts), so it works under a strict CSP and with a form-posting test client.
 */

export const CONSENT_PATH = '/__sandbox/google/consent';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const DESCRIPTIONS: Record<string, string> = {
  openid: 'Associate you with your personal info on Google',
  email: 'See your primary Google Account email address',
  profile: 'See your personal info, including any personal info you have made publicly available',
  [SCOPE.userinfoEmail]: 'See your primary Google Account email address',
  [SCOPE.userinfoProfile]: 'See your personal info, including any personal info you have made publicly available',
  [SCOPE.calendar]: 'See, edit, share and permanently delete all the calendars you can access using Google Calendar',
  [SCOPE.events]: 'View and edit events on all your calendars',
  [SCOPE.eventsOwned]: 'See, create, change and delete events on Google calendars you own',
  [SCOPE.eventsOwnedReadonly]: 'See the events on Google calendars you own',
  [SCOPE.eventsReadonly]: 'View events on all your calendars',
  [SCOPE.freebusy]: 'See the availability on Google calendars you have access to',
  [SCOPE.eventsFreebusy]: 'See the availability on Google calendars you have access to',
  [SCOPE.calendarListReadonly]: 'See the list of Google calendars you are subscribed to',
  [SCOPE.calendarList]: 'See, add and remove Google calendars you are subscribed to',
  [SCOPE.readonly]: 'See and download any calendar you can access using your Google Calendar',
  [SCOPE.appCreated]: 'Make secondary Google calendars, and see, create, change and delete events on them',
};

const STYLE = `body{font:15px/1.5 system-ui,-apple-system,sans-serif;background:#f0f4f9;margin:0;color:#1f1f1f}
main{max-width:36rem;margin:3rem auto;background:#fff;border-radius:28px;padding:2.5rem}
h1{font-size:1.6rem;font-weight:400;margin:.5rem 0 1rem}.brand{font-weight:600;color:#0b57d0}
.tag{display:inline-block;font-size:.75rem;background:#fde293;border-radius:4px;padding:0 .4rem;margin-left:.5rem}
fieldset{border:1px solid #c4c7c5;border-radius:12px;margin:1rem 0;padding:.75rem 1rem}legend{padding:0 .3rem;font-weight:500}
label{display:block;margin:.35rem 0}input[type=text],input[type=email]{font:inherit;padding:.4rem .6rem;border:1px solid #747775;border-radius:6px;width:95%}
code{font-size:.8rem;color:#444746;word-break:break-all}.actions{display:flex;gap:1rem;justify-content:flex-end;margin-top:1.5rem}
button{font:inherit;border-radius:20px;padding:.55rem 1.5rem;border:1px solid #747775;background:#fff;color:#0b57d0;cursor:pointer}
button.primary{background:#0b57d0;color:#fff;border-color:#0b57d0}.error{color:#b3261e}`;

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>${STYLE}</style></head><body><main>
<div><span class="brand">Google</span><span class="tag">LeadsCalendar sandbox</span></div>
${body}</main></body></html>`;
}

export interface ConsentView {
  requestId: string;
  clientId: string;
  redirectHost: string;
  users: TestUser[];
  loginHint: string | null;
  scopes: string[];
  error?: string;
}

export function consentPage(v: ConsentView): string {
  const hint = v.loginHint?.toLowerCase() ?? null;
  const hinted = v.users.some((u) => u.email === hint);
  const accounts = v.users
    .map(
      (u, i) =>
        `<label><input type="radio" name="account" value="${esc(u.email)}"${(hinted ? u.email === hint : i === 0) ? ' checked' : ''}> ${esc(u.name)} &lt;${esc(u.email)}&gt;</label>`,
    )
    .join('\n');
  const scopes = v.scopes
    .map(
      (s) =>
        `<label><input type="checkbox" name="scope" value="${esc(s)}" checked> ${esc(DESCRIPTIONS[s] ?? s)}<br><code>${esc(s)}</code></label>`,
    )
    .join('\n');
  return page(
    'Sign in - Google Accounts (sandbox)',
    `<h1>Choose an account to continue to <b>${esc(v.redirectHost)}</b></h1>
<p>Client <code>${esc(v.clientId)}</code></p>
${v.error ? `<p class="error">${esc(v.error)}</p>` : ''}
<form method="post" action="${CONSENT_PATH}">
<input type="hidden" name="request" value="${esc(v.requestId)}">
<fieldset><legend>Test account</legend>
${accounts}
<label>Or another email (creates a test user): <input type="email" name="email" value="${hint && !hinted ? esc(hint) : ''}" autocomplete="off"></label>
<label>Name (optional): <input type="text" name="name" autocomplete="off"></label>
</fieldset>
<fieldset><legend>This app wants to</legend>
${scopes}
</fieldset>
<div class="actions"><button type="submit" name="decision" value="deny">Deny</button><button class="primary" type="submit" name="decision" value="allow">Allow</button></div>
</form>`,
  );
}

/** Google's "Access blocked" page for a request it will not redirect back. */
export function errorPage(code: number, error: string, detail: string): string {
  return page(
    `Error ${code} (${error})`,
    `<h1>Access blocked: Authorization Error</h1>
<p class="error"><b>Error ${code}: ${esc(error)}</b></p>
<p>${esc(detail)}</p>`,
  );
}

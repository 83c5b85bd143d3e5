/** Server-rendered HTML shell shared by the pages LeadsCalendar serves itself (sign-in pages here, the web interface in web/). */

export const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function page(title: string, body: string, opts: { scripts?: string[] } = {}): string {
  const scripts = (opts.scripts ?? []).map((s) => `<script type="module" src="${esc(s)}"></script>`).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · LeadsCalendar</title>
<link rel="stylesheet" href="/assets/app.css">
${scripts}
</head>
<body>
<header class="top"><a class="brand" href="/">LeadsCalendar</a></header>
<main>
${body}
</main>
</body>
</html>`;
}

/** Server-written HTML pages (the sign-in outcomes), dressed with the web interface's stylesheet. */
import { clientStylesheet } from './client-build.ts';
import { esc } from './escape.ts';

export { esc };

export function page(title: string, body: string): string {
  const css = clientStylesheet();
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${esc(title)} · LeadsCalendar</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
${css ? `<link rel="stylesheet" href="${esc(css)}">` : ''}
</head>
<body>
<header class="top"><div class="top-inner"><a class="brand" href="/">LeadsCalendar</a></div></header>
<main id="main">
${body}
</main>
</body>
</html>`;
}

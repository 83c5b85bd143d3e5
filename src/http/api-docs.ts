import swaggerUi, { type FastifySwaggerUiOptions } from '@fastify/swagger-ui';
import type { App } from './server.ts';

/**
 * The API reference at /api/docs: Swagger UI, served from our own package (no CDN, so it works
 * offline and under the CSP's 'self'), rendering the app's OpenAPI document. Its
 * defaults fail axe-core; the settings and the small theme below are what makes it pass
 * (test/e2e/api-docs.test.ts checks it at both widths, light and dark).
 */

/**
 * - The base layout has no top bar: the bar's URL box (unlabelled) and logo (no text alternative)
 *   are for exploring other documents, which this page never does.
 * - Without deep links an operation's path is plain text: as a link it sat inside the summary's
 *   button (nested interactive controls).
 */
const uiConfig: FastifySwaggerUiOptions['uiConfig'] = {
  layout: 'BaseLayout',
  deepLinking: false,
  defaultModelsExpandDepth: 0,
  // Highlighted examples are light red and blue on dark grey (3.5:1); plain, they are white on it.
  syntaxHighlight: false,
};

// Swagger UI's colours for white text (the version badges, the method of each operation) and for
// text on white (the document's link, Authorize) are too light: 1.6:1 to 3.6:1. These keep each
// hue, dark enough for 4.5:1. Its code samples scroll sideways, a region the keyboard cannot reach:
// wrapped, they do not scroll.
const css = `
.swagger-ui .info .title small { background: #4b5563; }
.swagger-ui .info .title small.version-stamp { background: #3f6212; }
.swagger-ui .info .title small pre { color: #fff; }
.swagger-ui .info a.link .url, .swagger-ui .info .url { color: #1d5fae; }
.swagger-ui .btn.authorize { color: #166534; border-color: #166534; }
.swagger-ui .btn.authorize svg { fill: #166534; }
.swagger-ui .opblock.opblock-get .opblock-summary .opblock-summary-method { background: #1d5fa0; }
.swagger-ui .opblock.opblock-post .opblock-summary .opblock-summary-method { background: #166534; }
.swagger-ui .opblock.opblock-put .opblock-summary .opblock-summary-method { background: #9a4d00; }
.swagger-ui .opblock.opblock-patch .opblock-summary .opblock-summary-method { background: #0f6b5c; }
.swagger-ui .opblock.opblock-delete .opblock-summary .opblock-summary-method { background: #b42318; }
.swagger-ui .opblock.opblock-head .opblock-summary .opblock-summary-method, .swagger-ui .opblock.opblock-options .opblock-summary .opblock-summary-method { background: #6b21a8; }
.swagger-ui .highlight-code > .microlight, .swagger-ui .microlight { white-space: pre-wrap; overflow-wrap: anywhere; overflow-x: visible; max-height: none; }
`;

// The servers list is a <select> whose heading is not its label; it gets its name here, once
// Swagger UI has rendered it (and again whenever it re-renders).
const js = `
(function () {
  function name() {
    var s = document.querySelector('select#servers');
    if (s && !s.hasAttribute('aria-label')) s.setAttribute('aria-label', 'Server');
  }
  new MutationObserver(name).observe(document.documentElement, { childList: true, subtree: true });
  name();
})();
`;

export async function registerApiDocs(app: App): Promise<void> {
  await app.register(swaggerUi, {
    routePrefix: '/api/docs',
    uiConfig,
    theme: {
      title: 'LeadsCalendar API reference',
      css: [{ filename: 'leadscalendar.css', content: css }],
      js: [{ filename: 'leadscalendar.js', content: js }],
    },
  });
}

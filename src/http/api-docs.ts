import swaggerUi, { type FastifySwaggerUiOptions } from '@fastify/swagger-ui';
import type { App } from './server.ts';

/**
 * The API reference at /api/docs: Swagger UI, served from our own dependencies (no CDN, so it
 * works offline and under the CSP's 'self'), rendering the app's OpenAPI document. Its defaults
 * fail axe-core; the settings and the small theme below make it pass (test/e2e/api-docs.test.ts
 * checks it at both widths, light and dark, browsing, trying a request out and authorizing).
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
.swagger-ui .btn.try-out__btn { color: #3b4151; border-color: #3b4151; }
.swagger-ui .btn.try-out__btn.cancel { color: #b42318; border-color: #b42318; }
.swagger-ui .btn.execute { background-color: #1d5fae; border-color: #1d5fae; color: #fff; }
.swagger-ui .parameters-col_name .parameter__in, .swagger-ui .parameter__in { color: #595f6b; }
.swagger-ui .opblock.opblock-head .opblock-summary .opblock-summary-method, .swagger-ui .opblock.opblock-options .opblock-summary .opblock-summary-method { background: #6b21a8; }
.swagger-ui .highlight-code > .microlight, .swagger-ui .microlight { white-space: pre-wrap; overflow-wrap: anywhere; overflow-x: visible; max-height: none; }
`;

// Swagger UI's form fields have headings, not labels: the servers list, the request body being
// tried out, each parameter's field; its dialog's close button has an icon only. They get their
// names here, once Swagger UI has rendered them (and again whenever it re-renders).
const js = `
(function () {
  function label(el, text) {
    if (el && !el.hasAttribute('aria-label')) el.setAttribute('aria-label', text);
  }
  function name() {
    label(document.querySelector('select#servers'), 'Server');
    document.querySelectorAll('textarea.body-param__text').forEach(function (t) { label(t, 'Request body'); });
    document.querySelectorAll('.body-param-content-type select').forEach(function (t) { label(t, 'Request body media type'); });
    document.querySelectorAll('.response-control-media-type select').forEach(function (t) { label(t, 'Response media type'); });
    document.querySelectorAll('.modal-ux .close-modal').forEach(function (b) { label(b, 'Close'); });
    // The dialog's Authorize and Logout buttons are named "Apply credentials" and "Remove
    // authorization": a voice user saying what they read would not reach them.
    document.querySelectorAll('.auth-btn-wrapper button[aria-label]').forEach(function (b) {
      var text = b.textContent.trim();
      var name = b.getAttribute('aria-label');
      if (text && name.toLowerCase().indexOf(text.toLowerCase()) < 0) b.setAttribute('aria-label', text + ' (' + name.toLowerCase() + ')');
    });
    document.querySelectorAll('tr[data-param-name]').forEach(function (row) {
      row.querySelectorAll('input, select, textarea').forEach(function (el) {
        label(el, row.getAttribute('data-param-name') + ' (' + row.getAttribute('data-param-in') + ' parameter)');
      });
    });
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

import { t } from '../strings.ts';

export function NotFound() {
  return (
    <section class="card center" id="not-found">
      <p class="big-code" aria-hidden="true">
        404
      </p>
      <h1>{t.notFound.title}</h1>
      <p>{t.notFound.lead}</p>
      <p>
        <a class="button" href="/">
          {t.notFound.home}
        </a>
      </p>
    </section>
  );
}

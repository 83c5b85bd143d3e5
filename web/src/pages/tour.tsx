import { config } from '../config.ts';
import { t } from '../strings.ts';

/** Sandbox mode only: what is emulated, and where to watch it. */
export function Tour() {
  return (
    <section>
      <h1>{t.sandbox.tourTitle}</h1>
      <p class="lead">{t.tour.lead}</p>
      <ol class="steps">
        {t.tour.steps.map(([title, text]) => (
          <li key={title}>
            <h2 class="h3">{title}</h2>
            <p>{text}</p>
          </li>
        ))}
      </ol>
      <p class="actions">
        <a class="button" href="/auth/google/start">
          {t.tour.start}
        </a>
        {config.sandboxUrl ? (
          <a class="button secondary" href={`${config.sandboxUrl}/__sandbox`}>
            {t.tour.state}
          </a>
        ) : null}
      </p>
    </section>
  );
}

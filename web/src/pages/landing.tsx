import type { Me } from '../api.ts';
import { config } from '../config.ts';
import { money } from '../format.ts';
import { t } from '../strings.ts';

export function Landing({ me }: { me: Me | null }) {
  const price = money(config.price.amount, config.price.currency);
  return (
    <>
      <section class="hero">
        <h1>{t.landing.headline}</h1>
        <p class="lead">{t.landing.lead(price)}</p>
        <p>
          {me ? (
            <a class="button big" href="/app">
              {t.landing.open}
            </a>
          ) : (
            <a class="button big" href="/auth/google/start">
              {t.nav.signIn}
            </a>
          )}
        </p>
      </section>
      <section aria-labelledby="how">
        <h2 id="how">{t.landing.stepsTitle}</h2>
        <ol class="steps">
          {t.landing.steps.map(([title, text]) => (
            <li key={title}>
              <h3>{title}</h3>
              <p>{text}</p>
            </li>
          ))}
        </ol>
        <p class="muted">{t.landing.fine(config.paymentMinutes)}</p>
      </section>
    </>
  );
}

/** What the server tells every page about itself (a meta tag it writes into the shell: no inline script). */
export interface SiteConfig {
  mode: 'sandbox' | 'live';
  sandboxUrl: string | null;
  price: { amount: string; currency: string };
  paymentMinutes: number;
  /** Whether the page's request carried a session: a signed-out page need not ask the API who is signed in. */
  signedIn: boolean;
}

// Without the server's facts (a copied page), assume a session may exist: the API's answer decides.
const FALLBACK: SiteConfig = { mode: 'live', sandboxUrl: null, price: { amount: '1.00', currency: 'USD' }, paymentMinutes: 30, signedIn: true };

export const config: SiteConfig = (() => {
  const raw = document.querySelector('meta[name="lc-config"]')?.getAttribute('content');
  try {
    return raw ? { ...FALLBACK, ...(JSON.parse(raw) as Partial<SiteConfig>) } : FALLBACK;
  } catch {
    return FALLBACK;
  }
})();

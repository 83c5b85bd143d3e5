/** What the server tells every page about itself (a meta tag it writes into the shell: no inline script). */
export interface SiteConfig {
  mode: 'sandbox' | 'live';
  sandboxUrl: string | null;
  price: { amount: string; currency: string };
  paymentMinutes: number;
}

const FALLBACK: SiteConfig = { mode: 'live', sandboxUrl: null, price: { amount: '1.00', currency: 'USD' }, paymentMinutes: 30 };

export const config: SiteConfig = (() => {
  const raw = document.querySelector('meta[name="lc-config"]')?.getAttribute('content');
  try {
    return raw ? { ...FALLBACK, ...(JSON.parse(raw) as Partial<SiteConfig>) } : FALLBACK;
  } catch {
    return FALLBACK;
  }
})();

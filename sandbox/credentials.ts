/**
 * The sandbox's default credentials. They are public on purpose: the sandbox accepts these and
 * rejects anything else, as the real services reject wrong credentials. The app's sandbox mode
 * uses the same values, so `npm start` needs no configuration.
 */
export const SANDBOX_CREDENTIALS = {
  google: {
    clientId: 'sandbox-google-client.apps.googleusercontent.com',
    clientSecret: 'sandbox-google-secret',
  },
  paypal: {
    clientId: 'sandbox-paypal-client',
    clientSecret: 'sandbox-paypal-secret',
    webhookId: 'WHSANDBOXLEADSCALENDAR',
  },
  binance: {
    apiKey: 'sandboxbinanceapikey00000000000000000000000000000000000000000000',
    secretKey: 'sandboxbinancesecretkey000000000000000000000000000000000000000000',
  },
} as const;

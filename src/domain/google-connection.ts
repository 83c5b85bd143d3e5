/**
 * The health of a user's link to Google: `active`; `needs_reconnect` when Google refused the grant
 * (work waits for a new sign-in); `revoked` when the user disconnected.
 */
export const CONNECTION_STATUSES = ['active', 'needs_reconnect', 'revoked'] as const;
export type ConnectionStatus = (typeof CONNECTION_STATUSES)[number];

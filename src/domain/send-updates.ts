/** Who Google emails about an event it adds (Calendar's `sendUpdates`): everyone, guests outside the organiser's domain, or nobody. */
export const SEND_UPDATES = ['all', 'externalOnly', 'none'] as const;
export type SendUpdates = (typeof SEND_UPDATES)[number];

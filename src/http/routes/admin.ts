import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { PAYMENT_DAYS, type Admins } from '../../app/admin.ts';
import type { InstanceSettings, InstanceSettingsStore } from '../../app/instance-settings.ts';
import type { Users } from '../../app/users.ts';
import { PRICE_CURRENCY, type SettingName } from '../../domain/instance-settings.ts';
import { Problem } from '../problem.ts';
import { AdminSettings, InstanceSettingsBody, PaymentsPerDay } from '../schemas.ts';
import type { App } from '../server.ts';
import type { Sessions } from '../sessions.ts';

export interface AdminRouteDeps {
  sessions: Sessions;
  users: Users;
  admins: Admins;
  settings: InstanceSettingsStore;
}

const errors = { 400: Problem, 403: Problem, 404: Problem, 429: Problem };
const DaysQuery = z.object({
  days: z.coerce
    .number()
    .int()
    .min(1)
    .max(PAYMENT_DAYS.max)
    .default(PAYMENT_DAYS.default)
    .describe(`How many UTC days, today included; at most ${PAYMENT_DAYS.max}.`),
});

/**
 * The admin area, /api/v1/admin: the instance settings and the payments chart, for the accounts in
 * ADMIN_EMAILS. Anyone else, signed in or not, gets exactly the answer of a path that does not
 * exist (route_not_found), so the area's existence is not revealed.
 */
export function registerAdminRoutes(app: App, deps: AdminRouteDeps) {
  const { sessions, users, admins, settings } = deps;

  /** The admin's account; for anyone else, the unknown route's own 404 (the same handler, the same body). */
  const adminOf = async (req: FastifyRequest) => {
    const userId = await sessions.whose(req);
    const user = userId ? await users.get(userId).catch(() => null) : null;
    return user && admins.isAdmin(user.email) ? user : null;
  };
  // onRequest, before the body is even parsed: a non-admin's malformed or invalid body is a 404
  // too, never a hint of the schema. The CSRF check (requireUser, which may read a form's _csrf)
  // runs after parsing, for admins only.
  const adminOnly = {
    onRequest: async (req: FastifyRequest, reply: FastifyReply) => {
      if (!(await adminOf(req))) return reply.callNotFound();
    },
    preValidation: async (req: FastifyRequest) => void (await sessions.requireUser(req)),
  };

  const view = async () => {
    const [current, changes] = await Promise.all([settings.current(), settings.changes()]);
    return {
      settings: current,
      defaults: settings.defaults,
      currency: PRICE_CURRENCY,
      changes: changes.map((c) => ({ setting: c.name as SettingName, from: c.from, to: c.to, by: c.by, at: c.at.toISOString() })),
    };
  };

  app.get(
    '/api/v1/admin/settings',
    {
      ...adminOnly,
      schema: { tags: ['admin'], summary: 'The instance settings in force, their defaults from the environment, and the latest changes (admins only)', response: { 200: AdminSettings, ...errors } },
    },
    async () => view(),
  );

  app.put(
    '/api/v1/admin/settings',
    {
      ...adminOnly,
      schema: {
        tags: ['admin'],
        summary: 'Change the instance settings; each takes effect for events and payments created from now on (admins only)',
        body: InstanceSettingsBody,
        response: { 200: AdminSettings, ...errors },
      },
    },
    async (req) => {
      const admin = (await adminOf(req))!;
      const { changed } = await settings.save(admin, req.body as InstanceSettings);
      if (changed.length) req.log.info({ adminId: admin.id, changed }, 'instance settings changed');
      return view();
    },
  );

  app.get(
    '/api/v1/admin/payments-per-day',
    {
      ...adminOnly,
      schema: {
        tags: ['admin'],
        summary: 'Payment outcomes per UTC day: succeeded, failed or declined, expired, refunded (admins only)',
        querystring: DaysQuery,
        response: { 200: PaymentsPerDay, ...errors },
      },
    },
    async (req) => ({ days: await admins.paymentsPerDay((req.query as z.infer<typeof DaysQuery>).days) }),
  );
}

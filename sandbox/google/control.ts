import type { FastifyInstance } from 'fastify';
import { IANAZone } from 'luxon';
import { z } from 'zod';
import type { SandboxContext } from '../context.ts';
import { badRequest } from '../control.ts';
import type { GoogleState, TestUser } from './state.ts';

/**
 * Control actions for the emulated Google, under /__sandbox/google (JSON):
 *
 *   GET  /__sandbox/google/users                      test users
 *   POST /__sandbox/google/users                      {email, name?, timeZone?} → creates (201) or returns (200)
 *   POST /__sandbox/google/users/:email/revoke        the "revoked Google grant" fault: {clientId?}
 *   POST /__sandbox/google/tokens/expire              {email?} expires live access tokens
 *   GET  /__sandbox/google/users/:email/events        every event on the user's calendars
 *   GET  /__sandbox/google/notifications              who Google would have emailed (sendUpdates)
 */

const CreateUser = z
  .object({
    email: z.email(),
    name: z.string().min(1).max(200).optional(),
    timeZone: z
      .string()
      .refine((tz) => IANAZone.isValidZone(tz), 'unknown IANA time zone')
      .optional(),
  })
  .strict();
const Revoke = z.object({ clientId: z.string().min(1).optional() }).strict();
const Expire = z.object({ email: z.email().optional() }).strict();

export function userView(state: GoogleState, u: TestUser) {
  return {
    ...u,
    calendars: [...state.calendars.values()]
      .map((c) => ({ id: c.id, summary: c.summary, accessRole: state.accessRole(c, u.sub), primary: c.id === u.email }))
      .filter((c) => c.accessRole !== null),
  };
}

export function registerGoogleControlRoutes(app: FastifyInstance, state: GoogleState, ctx: SandboxContext): void {
  const notFound = { error: 'not_found', message: 'no such test user' };

  app.get('/__sandbox/google/users', async () => ({ users: [...state.users.values()].map((u) => userView(state, u)) }));

  app.post('/__sandbox/google/users', async (req, reply) => {
    const parsed = CreateUser.safeParse(req.body ?? {});
    if (!parsed.success) return badRequest(reply, parsed.error);
    const existed = state.userByEmail(parsed.data.email);
    const user = state.ensureUser(parsed.data.email, parsed.data.name, parsed.data.timeZone);
    return reply.status(existed ? 200 : 201).send(userView(state, user));
  });

  app.post<{ Params: { email: string } }>('/__sandbox/google/users/:email/revoke', async (req, reply) => {
    const parsed = Revoke.safeParse(req.body ?? {});
    if (!parsed.success) return badRequest(reply, parsed.error);
    const user = state.userByEmail(req.params.email);
    if (!user) return reply.status(404).send(notFound);
    let revoked = 0;
    for (const g of state.grants.values()) {
      if (g.userSub !== user.sub || g.revokedAt) continue;
      if (parsed.data.clientId && g.clientId !== parsed.data.clientId) continue;
      state.revokeGrant(g, 'control');
      revoked++;
    }
    return { revoked };
  });

  app.post('/__sandbox/google/tokens/expire', async (req, reply) => {
    const parsed = Expire.safeParse(req.body ?? {});
    if (!parsed.success) return badRequest(reply, parsed.error);
    const user = parsed.data.email ? state.userByEmail(parsed.data.email) : undefined;
    if (parsed.data.email && !user) return reply.status(404).send(notFound);
    const now = ctx.now();
    let expired = 0;
    for (const t of state.accessTokens.values()) {
      if (t.expiresAt <= now) continue;
      if (user && state.grants.get(t.grantId)?.userSub !== user.sub) continue;
      t.expiresAt = now - 1;
      expired++;
    }
    return { expired };
  });

  app.get<{ Params: { email: string } }>('/__sandbox/google/users/:email/events', async (req, reply) => {
    const user = state.userByEmail(req.params.email);
    if (!user) return reply.status(404).send(notFound);
    return {
      calendars: userView(state, user).calendars.map((c) => ({
        ...c,
        events: [...(state.events.get(c.id)?.values() ?? [])].map((e) => ({
          ...e.resource,
          ...(e.cancelledInstances.size ? { cancelledInstances: [...e.cancelledInstances] } : {}),
        })),
      })),
    };
  });

  app.get('/__sandbox/google/notifications', async () => ({ notifications: state.notifications }));
}

import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { EventTimeError } from '../domain/event-time.ts';
import { AppError, ERROR_KINDS, type ErrorKind } from '../errors.ts';

/** RFC 9457 problem details, as every LeadsCalendar API error is answered. */
export const Problem = z
  .object({
    type: z.string().describe('A URI naming the error kind; its page in the docs explains cause and fix.'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    kind: z.string().describe('One of the LeadsCalendar error kinds, e.g. invalid_request.'),
    requestId: z.string(),
    errors: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .describe('Field errors, for invalid_request.'),
  })
  .passthrough()
  .meta({ id: 'Problem' });

export type ProblemBody = z.infer<typeof Problem>;

export function problemType(kind: ErrorKind): string {
  return `https://leadscalendar.dev/errors/${kind.replace(/_/g, '-')}`;
}

export function problem(kind: ErrorKind, detail: string, requestId: string, extra: Record<string, unknown> = {}): ProblemBody {
  const k = ERROR_KINDS[kind];
  return { type: problemType(kind), title: k.title, status: k.status, detail, kind, requestId, ...extra };
}

export function sendProblem(reply: FastifyReply, body: ProblemBody, headers: Record<string, string> = {}) {
  return reply.status(body.status).headers(headers).type('application/problem+json').send(body);
}

/** Turns any thrown error into a problem document; never leaks internals of unexpected errors. */
export function errorHandler(thrown: FastifyError | AppError | Error, request: FastifyRequest, reply: FastifyReply) {
  const id = String(request.id);
  // Event times and recurrence always come from the request body in this API.
  const error = thrown instanceof EventTimeError ? thrown.withPathPrefix('body') : thrown;
  if (hasZodFastifySchemaValidationErrors(error)) {
    const errors = error.validation.map((v) => ({
      path: `${error.validationContext ?? 'body'}${v.instancePath || ''}`,
      message: v.message ?? 'invalid',
    }));
    return sendProblem(
      reply,
      problem('invalid_request', `The request ${error.validationContext ?? 'body'} is invalid: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`, id, { errors }),
    );
  }
  if (error instanceof AppError) {
    const headers: Record<string, string> = {};
    if (error.retryAfterMs !== undefined) headers['retry-after'] = String(Math.ceil(error.retryAfterMs / 1000));
    if (ERROR_KINDS[error.kind].status >= 500) request.log.error({ err: error }, 'request failed');
    return sendProblem(reply, problem(error.kind, error.message, id, error.details ?? {}), headers);
  }
  const fe = error as FastifyError;
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
    // Fastify's own client errors: malformed JSON, unsupported media type, body too large.
    const body = problem('invalid_request', fe.message, id);
    return sendProblem(reply, { ...body, status: fe.statusCode, title: fe.code ?? body.title });
  }
  request.log.error({ err: error }, 'unhandled error');
  return sendProblem(reply, problem('internal', 'Something went wrong on our side. Quote the request id when you contact support.', id));
}

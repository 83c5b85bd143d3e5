import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { EventTimeError } from '../domain/event-time.ts';
import { AppError, ERROR_KINDS, isProblemCode, PROBLEM_CODES, type ErrorKind, type ProblemCode } from '../errors.ts';

const FieldError = z.object({
  path: z.string().describe('Where: `body/start`, `body/recurrence/1`, `params/id`.'),
  message: z.string(),
  code: z.string().describe('What is wrong with this field, e.g. required, invalid_format (see Troubleshooting).'),
});

/** RFC 9457 problem details, as every LeadsCalendar API error is answered. */
export const Problem = z
  .object({
    type: z.string().describe('A URI naming the error kind; its page in the docs explains cause and fix.'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    code: z.string().describe('A stable code for programs to branch on, e.g. validation_failed, recurrence_too_complex (see Troubleshooting).'),
    kind: z.string().describe('One of the LeadsCalendar error kinds, e.g. invalid_request.'),
    requestId: z.string(),
    errors: z.array(FieldError).optional().describe('Field errors, for validation_failed and event time codes.'),
  })
  .passthrough()
  .meta({ id: 'Problem' });

export type ProblemBody = z.infer<typeof Problem>;
type FieldErrorBody = z.infer<typeof FieldError>;

export function problemType(kind: ErrorKind): string {
  return `https://leadscalendar.dev/errors/${kind.replace(/_/g, '-')}`;
}

/** The problem document for `code` (see PROBLEM_CODES): type, title and kind follow its kind. */
export function problem(code: ProblemCode, detail: string, requestId: string, extra: Record<string, unknown> = {}): ProblemBody {
  const { kind, status } = PROBLEM_CODES[code];
  // The extra fields come first: nothing in them may change what the code decides.
  return { ...extra, type: problemType(kind), title: ERROR_KINDS[kind].title, status, detail, code, kind, requestId };
}

/**
 * Sent as text, not through the route's response schema: an error answer must never itself fail
 * to serialise (that would turn a 400 into Fastify's own plain 500).
 */
export function sendProblem(reply: FastifyReply, body: ProblemBody, headers: Record<string, string> = {}) {
  return reply.status(body.status).headers(headers).type('application/problem+json').send(JSON.stringify(body));
}

/** zod's issue codes (the `keyword` fastify-type-provider-zod keeps) → our field codes. */
function fieldCode(v: { keyword?: string; message?: string; params?: Record<string, unknown> }): ProblemCode {
  const params = v.params ?? {};
  switch (v.keyword) {
    case 'invalid_type':
      // zod 4 keeps the input out of the issue; its message says what was received.
      return /received undefined/.test(v.message ?? '') ? 'required' : 'invalid_type';
    case 'unrecognized_keys':
      return 'unrecognized_field';
    case 'too_big':
    case 'too_small':
      return ['number', 'int', 'bigint', 'date'].includes(String(params['origin'])) ? 'out_of_range' : 'invalid_length';
    case 'not_multiple_of':
      return 'out_of_range';
    case 'invalid_format':
      return 'invalid_format';
    case 'custom': {
      const own = (params['params'] as { code?: unknown } | undefined)?.code;
      return isProblemCode(own) ? own : 'invalid_value';
    }
    default:
      return 'invalid_value';
  }
}

type SchemaValidationError = FastifyError & {
  validation: { keyword?: string; instancePath?: string; message?: string; params?: Record<string, unknown> }[];
  validationContext?: string;
};

function fieldErrors(error: SchemaValidationError): FieldErrorBody[] {
  const where = error.validationContext ?? 'body';
  return error.validation.flatMap((v) => {
    const path = `${where}${v.instancePath ?? ''}`.replace(/\/$/, '');
    const code = fieldCode(v);
    if (code === 'unrecognized_field' && Array.isArray(v.params?.['keys'])) {
      // One entry per unknown field, each with its own path, so a form can mark it.
      return (v.params['keys'] as string[]).map((key) => ({ path: `${path}/${key}`, message: `unknown field "${key}"`, code }));
    }
    return [{ path, message: v.message ?? 'invalid', code }];
  });
}

/** How a detail names the part of the request that failed validation. */
const PART_NAMES: Record<string, string> = {
  body: 'The request body is',
  querystring: 'The query string is',
  params: 'The path parameters are',
  headers: 'The request headers are',
};

/** Fastify's own request errors → our codes. */
const FASTIFY_CODES: Record<string, ProblemCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'malformed_json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'malformed_json',
  FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'malformed_request',
  FST_ERR_BAD_URL: 'malformed_url',
  FST_ERR_MAX_PARAM_LENGTH: 'malformed_url',
};

const FASTIFY_DETAILS: Partial<Record<ProblemCode, string>> = {
  malformed_json: 'The body is not valid JSON (or is empty while Content-Type says application/json).',
  body_too_large: 'The body is larger than the 256 KiB this API accepts.',
  unsupported_media_type: 'This endpoint reads application/json; send the body with that Content-Type.',
  malformed_request: 'The body does not match its Content-Length.',
  malformed_url: 'The URL cannot be decoded: a "%" must be followed by two hexadecimal digits.',
};

/**
 * The problem document (and headers) that answers any thrown error, also those of Fastify's
 * `frameworkErrors` (a URL it cannot decode); never leaks internals of unexpected errors, and logs
 * what is a fault on our side.
 */
export function problemFor(thrown: FastifyError | AppError | Error, request: FastifyRequest): { body: ProblemBody; headers: Record<string, string> } {
  const id = String(request.id);
  // Event times and recurrence always come from the request body in this API.
  const error = thrown instanceof EventTimeError ? thrown.withPathPrefix('body') : thrown;
  if (hasZodFastifySchemaValidationErrors(error)) {
    const errors = fieldErrors(error as SchemaValidationError);
    const where = (error as SchemaValidationError).validationContext ?? 'body';
    return {
      body: problem('validation_failed', `${PART_NAMES[where] ?? `The request ${where} is`} invalid: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`, id, { errors }),
      headers: {},
    };
  }
  if (error instanceof AppError && error.code !== undefined) {
    const headers: Record<string, string> = {};
    if (error.retryAfterMs !== undefined) headers['retry-after'] = String(Math.ceil(error.retryAfterMs / 1000));
    if (PROBLEM_CODES[error.code].status >= 500) request.log.error({ err: error }, 'request failed');
    return { body: problem(error.code, error.message, id, error.details ?? {}), headers };
  }
  const fe = error as FastifyError;
  const code = fe.code === undefined ? undefined : FASTIFY_CODES[fe.code];
  if (code !== undefined || (error instanceof SyntaxError && fe.statusCode === 400)) {
    const c = code ?? 'malformed_json';
    return { body: problem(c, FASTIFY_DETAILS[c] ?? fe.message, id), headers: {} };
  }
  // An AppError of a kind without a code (a payment kind no route answers yet) lands here too:
  // logged as the bug it is, answered as internal.
  request.log.error({ err: error }, 'unhandled error');
  return { body: problem('internal', 'Something went wrong on our side. Quote the request id when you contact support.', id), headers: {} };
}

/** The problem document an HTTP client error (Node's `clientError`) gets, as raw HTTP/1.1 bytes. */
export function clientErrorResponse(err: NodeJS.ErrnoException, headers: [string, string][] = []): string {
  const code: ProblemCode =
    err.code === 'HPE_HEADER_OVERFLOW' ? 'headers_too_large' : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'request_timeout' : 'malformed_request';
  const details: Record<string, string> = {
    headers_too_large: 'The request headers are larger than the server accepts (16 KiB).',
    request_timeout: 'The request did not arrive in time.',
    malformed_request: 'The request is not valid HTTP/1.1 (framing, Content-Length, chunked encoding or a header is broken).',
  };
  const { kind, status } = PROBLEM_CODES[code];
  // No request was parsed, so there is no request id to quote.
  const body = JSON.stringify({ type: problemType(kind), title: ERROR_KINDS[kind].title, status, detail: details[code], code, kind });
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
    'Content-Type: application/problem+json\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    headers.map(([name, value]) => `${name}: ${value}\r\n`).join('') +
    'Connection: close\r\n\r\n' +
    body
  );
}

/**
 * Fastify's `clientErrorHandler`: the answer Node would send, as a problem document carrying
 * `headers` (the security headers every other answer gets from its hooks).
 */
export function clientErrorHandler(headers: [string, string][]) {
  return (err: NodeJS.ErrnoException, socket: Socket) => {
    // A reset connection has nobody left to answer.
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    if (socket.writable) socket.write(clientErrorResponse(err, headers));
    socket.destroy(err);
  };
}

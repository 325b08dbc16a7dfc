import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import {
  AppError,
  type FieldProblem,
  NotFoundError,
  type RuleCitation,
  UserError,
} from '../lib/errors';
import { t } from '../lib/i18n';
import { maskText } from '../lib/logger';

/** An RFC 9457 problem document as the API returns it. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  instance?: string;
  requestId?: string;
  errors?: FieldProblem[];
  rules?: RuleCitation[];
}

interface BodyParserError {
  type?: string;
  status?: number;
}

function fromBodyParser(err: unknown): AppError | undefined {
  const e = err as BodyParserError;
  if (e?.type === 'entity.too.large')
    return new UserError(413, 'PAYLOAD_TOO_LARGE', 'error.payload_too_large');
  if (e?.type === 'entity.parse.failed')
    return new UserError(400, 'INVALID_JSON', 'error.bad_json');
  if (e?.type && typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
    return new UserError(
      e.status,
      'BAD_REQUEST',
      'error.validation',
      String((err as Error).message),
    );
  }
  return undefined;
}

/** Turns any error into a problem document; unknown errors become a logged 500. */
export function toProblem(
  err: unknown,
  requestId: string | undefined,
  instance: string,
  log?: Logger,
): Problem {
  const appError = err instanceof AppError ? err : fromBodyParser(err);
  if (!appError) {
    log?.error({ err, requestId }, 'unhandled error');
    return {
      type: 'urn:kehou:problem:INTERNAL',
      title: t('error.internal'),
      status: 500,
      code: 'INTERNAL',
      detail: `请联系管理员并提供请求编号 ${requestId ?? ''}`.trim(),
      instance,
      requestId,
    };
  }
  if (appError.status >= 500) log?.warn({ err: appError, requestId }, appError.message);
  return {
    type: `urn:kehou:problem:${appError.code}`,
    title: t(appError.titleKey),
    status: appError.status,
    code: appError.code,
    detail: appError.message,
    instance,
    requestId,
    ...(appError.fields ? { errors: appError.fields } : {}),
    ...(appError.rules ? { rules: appError.rules } : {}),
  };
}

/** Error middleware: every failure leaves as application/problem+json. */
export function problemHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const problem = toProblem(err, String(req.id ?? ''), maskText(req.originalUrl), log);
    if (err instanceof AppError && err.retryAfterSeconds !== undefined)
      res.setHeader('retry-after', String(err.retryAfterSeconds));
    res.status(problem.status).type('application/problem+json').json(problem);
  };
}

/** Catch-all for routes that do not exist: a 404 problem. */
export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new NotFoundError(`${req.method} ${maskText(req.originalUrl)}`, 'ROUTE_NOT_FOUND'));
};

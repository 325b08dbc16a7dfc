import { UserError, type FieldProblem } from '../lib/errors';

/** A deployment was refused: each unsupported or invalid element with why. */
export class DeploymentRejected extends UserError {
  constructor(problems: { resource: string; elementId: string; message: string }[]) {
    const fields: FieldProblem[] = problems.map((p) => ({
      path: `${p.resource}#${p.elementId}`,
      message: p.message,
    }));
    super(
      400,
      'INVALID_ARGUMENT',
      'error.validation',
      `Command 'CREATE' rejected with code 'INVALID_ARGUMENT': ${problems.map((p) => `'${p.resource}': element '${p.elementId}': ${p.message}`).join('; ')}`,
      { fields },
    );
  }
}

/** Engine-level 4xx with Camunda's problem titles (the client shows `title` as the message). */
export class EngineError extends UserError {
  constructor(status: 400 | 404 | 409 | 429, code: string, detail: string) {
    super(
      status,
      code,
      status === 404 ? 'error.not_found' : status === 409 ? 'error.conflict' : 'error.validation',
      detail,
    );
  }
}

import { ApiRefusal } from '../../common/api-refusal';

/** Caller mistakes and refusals of the API path, each with its status and code; ApiResponder answers each. */

/** Vumi's validation answer: 400 with the non-empty lists of problem fields. */
export class FieldValidationError extends Error {
  readonly code = 'invalid_fields';

  constructor(
    readonly problems: {
      unexpected_parameter?: string[];
      missing_parameter?: string[];
      invalid_parameter?: string[];
    },
  ) {
    super(`Invalid fields: ${JSON.stringify(problems)}`);
    this.name = 'FieldValidationError';
  }
}

/** A request that cannot be read: bad UTF-8, bad JSON, too many parameters (400), wrong media type (415). */
export class MalformedRequestError extends ApiRefusal {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = 'MalformedRequestError';
  }
}

export class PayloadTooLargeError extends ApiRefusal {
  readonly status = 413;
  readonly code = 'payload_too_large';

  constructor(readonly limit: number) {
    super(`Request body exceeds ${limit} bytes`);
    this.name = 'PayloadTooLargeError';
  }
}

export class MethodNotAllowedError extends ApiRefusal {
  readonly status = 405;
  readonly code = 'method_not_allowed';
  override readonly answerHeaders = { Allow: ALLOWED_METHODS };

  constructor(readonly method: string) {
    super(`Method ${method} not allowed`);
    this.name = 'MethodNotAllowedError';
  }
}

export const ALLOWED_METHODS = 'GET, POST, PUT';

/** No or wrong credentials: 401 with the realm, as text (Vumi's answer), so not an ApiRefusal. */
export class UnauthorizedError extends Error {
  readonly code = 'unauthorized';

  constructor() {
    super('Unauthorized');
    this.name = 'UnauthorizedError';
  }
}

/** The budget for bodies being read (BODY_BUDGET, BODY_BUDGET_PER_ADDRESS) is spent: 503, retry later. */
export class BodyBudgetSpentError extends ApiRefusal {
  readonly status = 503;
  readonly code = 'body_budget_spent';

  constructor() {
    super('Too many request bodies are being read; retry later');
    this.name = 'BodyBudgetSpentError';
  }
}

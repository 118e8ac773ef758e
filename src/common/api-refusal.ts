/**
 * A request refused for a reason the caller can act on. ApiResponder answers every one alike:
 * `status`, `{"error": code, "message": ...}`, the `answerHeaders`, and on a 503 the service's
 * Retry-After unless the refusal names its own. The error's `message` is for logs; where the
 * caller is to be told less (or told it otherwise), `answerMessage` says what it reads.
 */
export abstract class ApiRefusal extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  readonly answerMessage?: string;
  /** Headers the answer carries besides Content-Type (Allow, the RateLimit fields...). */
  readonly answerHeaders?: Readonly<Record<string, string>>;
}

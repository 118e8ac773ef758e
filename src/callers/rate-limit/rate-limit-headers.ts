import { RateLimitDecision } from './token-bucket';

/** The policy's name in the structured fields; one policy applies per request. */
const POLICY_NAME = '"default"';

/**
 * The RateLimit-Policy and RateLimit fields of the current IETF draft
 * (draft-ietf-httpapi-ratelimit-headers, structured fields), e.g.
 * `RateLimit-Policy: "default";q=10;w=5` and `RateLimit: "default";r=3;t=4`.
 * A token bucket read as a quota: q = burst tokens, refilled completely in
 * w = ceil(burst / rate) seconds; r = whole tokens left; t = seconds until
 * the bucket is full again. Older drafts' RateLimit-Limit/-Remaining/-Reset
 * fields are not sent.
 */
export function rateLimitHeaders(decision: RateLimitDecision): Record<string, string> {
  const { policy } = decision;
  const window = Math.max(1, Math.ceil(policy.burst / policy.rate));
  return {
    'RateLimit-Policy': `${POLICY_NAME};q=${policy.burst};w=${window}`,
    RateLimit: `${POLICY_NAME};r=${decision.remaining};t=${decision.reset}`,
  };
}

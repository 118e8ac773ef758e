/**
 * Jest's asymmetric matchers, typed as matchers: @types/jest types them `any`,
 * and an `any` in an expected object is what the type-checked lint rules
 * (no-unsafe-assignment) refuse. The same matchers, nothing else.
 */
type Matcher = jest.AsymmetricMatcher;

export const anyString = (): Matcher => expect.any(String) as Matcher;
export const anyNumber = (): Matcher => expect.any(Number) as Matcher;
export const stringMatching = (pattern: string | RegExp): Matcher => expect.stringMatching(pattern) as Matcher;
export const stringContaining = (text: string): Matcher => expect.stringContaining(text) as Matcher;

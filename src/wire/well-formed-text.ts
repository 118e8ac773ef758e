/**
 * A lone surrogate (`"\ud800"` in JSON) is not Unicode: it has no UTF-8 form,
 * so writing it out replaces it with U+FFFD and a Python worker reading it may
 * fail. Query and form values can never carry one (their bytes must be valid
 * UTF-8); JSON escapes can, so every JSON input is checked with this one rule.
 *
 * With the `u` flag a surrogate pair is one code point, so the class matches
 * only unpaired halves.
 */
const LONE_SURROGATE = /[\ud800-\udfff]/u;

export function isWellFormedText(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

/**
 * The members of a JSON object text, in the order written, repeats included.
 *
 * JSON.parse keeps the last value of a repeated key and moves integer-like
 * keys ("10") to the front; the API's rules need the text's own order and its
 * first value (as for a query string). Call it only on text that JSON.parse
 * accepted as an object: it relies on the text being well-formed.
 */
export function jsonObjectMembers(text: string): Array<[string, unknown]> {
  const members: Array<[string, unknown]> = [];
  let at = skipSpace(text, text.indexOf('{') + 1);
  while (text[at] !== '}') {
    const keyEnd = endOfString(text, at);
    const key = JSON.parse(text.slice(at, keyEnd)) as string;
    const valueStart = skipSpace(text, skipSpace(text, keyEnd) + 1); // past the ':'
    const valueEnd = endOfValue(text, valueStart);
    members.push([key, JSON.parse(text.slice(valueStart, valueEnd))]);
    at = skipSpace(text, valueEnd);
    if (text[at] === ',') at = skipSpace(text, at + 1);
  }
  return members;
}

function skipSpace(text: string, at: number): number {
  while (at < text.length && (text[at] === ' ' || text[at] === '\n' || text[at] === '\r' || text[at] === '\t')) at++;
  return at;
}

/** Index just past the string literal that starts at `at`. */
function endOfString(text: string, at: number): number {
  let i = at + 1;
  while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
  return i + 1;
}

/** Index of the ',' or '}' that ends the member value starting at `at`. */
function endOfValue(text: string, at: number): number {
  let depth = 0;
  let i = at;
  for (;;) {
    const c = text[i];
    if (c === '"') {
      i = endOfString(text, i);
      continue;
    }
    if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      if (depth === 0) return i;
      depth--;
    } else if (c === ',' && depth === 0) return i;
    i++;
  }
}

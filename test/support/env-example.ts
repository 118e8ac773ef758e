import { readFileSync } from 'node:fs';

/** One variable of `.env.example`: set (`NAME=value`) or listed commented out (`# NAME=`). */
export interface EnvExampleEntry {
  name: string;
  value: string;
  commentedOut: boolean;
  line: number;
  /** The comment line right above it, which says what it is for. */
  description?: string;
}

const VARIABLE = /^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$/;

/** Strips one pair of surrounding quotes, as Compose and dotenv do. */
function unquote(value: string): string {
  const match = value.match(/^(["'])(.*)\1$/);
  return match ? match[2] : value;
}

export function readEnvExample(path: string): EnvExampleEntry[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const entries: EnvExampleEntry[] = [];
  lines.forEach((text, index) => {
    const match = text.match(VARIABLE);
    if (!match) return;
    const above = index > 0 ? lines[index - 1] : '';
    const isComment = above.startsWith('#') && !VARIABLE.test(above) && above.replace(/^#\s*/, '') !== '';
    entries.push({
      name: match[2],
      value: unquote(match[3]),
      commentedOut: match[1] !== undefined,
      line: index + 1,
      description: isComment ? above.replace(/^#\s*/, '') : undefined,
    });
  });
  return entries;
}

/** The environment `.env.example` gives when copied to `.env` as it is. */
export function envOf(entries: EnvExampleEntry[]): Record<string, string> {
  return Object.fromEntries(entries.filter((entry) => !entry.commentedOut).map((entry) => [entry.name, entry.value]));
}

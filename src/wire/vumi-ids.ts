import { randomUUID } from 'node:crypto';

/** A Vumi id: a UUID4 as 32 lower-case hex digits, no dashes. */
export function newVumiId(): string {
  const uuid = randomUUID();
  // Slicing a fixed layout is several times faster than a global regex replace.
  return uuid.slice(0, 8) + uuid.slice(9, 13) + uuid.slice(14, 18) + uuid.slice(19, 23) + uuid.slice(24);
}

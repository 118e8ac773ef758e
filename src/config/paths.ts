/** Vumi allows paths with or without their leading slash. */
export function normalisePath(path: string): string {
  return `/${path.replace(/^\/+/, '')}`;
}

/** A list's filter as query parameters again, empty ones left out (for the next page and the downloads). */
export function filterParams(filter: Record<string, string | number | undefined>, omit: string[] = []): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(filter)) {
    if (v !== undefined && v !== "" && !omit.includes(k)) params.set(k, String(v));
  }
  return params.toString();
}

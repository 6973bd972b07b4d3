/**
 * Header lookup, with no import at all: the patterns import the signature
 * schemes (which read headers) at synth, where no handler dependency is loaded.
 */

/** A request header's value by case-insensitive name (front doors differ in the case they pass on). */
export function headerValue(headers: Readonly<Record<string, string | undefined>> | null | undefined, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  return undefined;
}

// Istio parses port values as base-10 integers, so "08080" and "8080" name the same port.
export function portMatches(pattern: string, port: string): boolean {
  return /^\d+$/.test(pattern) && Number(pattern) === Number(port);
}

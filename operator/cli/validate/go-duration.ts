// Go's time.ParseDuration, which the apiserver's CEL `duration(string)` uses: the same
// syntax, the same overflow limits and the same float rounding of fractions, so a
// duration near a limit compares exactly as it does in the apiserver.

const MAX_UINT = 1n << 63n;
const UNITS: ReadonlyMap<string, bigint> = new Map([
  ["ns", 1n],
  ["us", 1_000n],
  ["\u00b5s", 1_000n],
  ["\u03bcs", 1_000n],
  ["ms", 1_000_000n],
  ["s", 1_000_000_000n],
  ["m", 60_000_000_000n],
  ["h", 3_600_000_000_000n],
]);

export class GoDurationError extends Error {}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9";

/** Nanoseconds of a Go duration string; throws GoDurationError where Go returns an error. */
export function parseGoDuration(text: string): bigint {
  const invalid = (why = "invalid duration") => new GoDurationError(`time: ${why} ${JSON.stringify(text)}`);
  let s = text;
  let neg = false;
  if (s !== "" && (s[0] === "-" || s[0] === "+")) {
    neg = s[0] === "-";
    s = s.slice(1);
  }
  if (s === "0") return 0n;
  if (s === "") throw invalid();
  let d = 0n;
  while (s !== "") {
    if (!(s[0] === "." || isDigit(s[0]))) throw invalid();
    let i = 0;
    let v = 0n;
    for (; i < s.length && isDigit(s[i]); i++) {
      if (v > MAX_UINT / 10n) throw invalid();
      v = v * 10n + BigInt(s.charCodeAt(i) - 48);
      if (v > MAX_UINT) throw invalid();
    }
    const pre = i > 0;
    s = s.slice(i);
    let f = 0n;
    let scale = 1;
    let post = false;
    if (s[0] === ".") {
      s = s.slice(1);
      let j = 0;
      let overflow = false;
      for (; j < s.length && isDigit(s[j]); j++) {
        if (overflow) continue;
        if (f > (MAX_UINT - 1n) / 10n) {
          overflow = true;
          continue;
        }
        const y = f * 10n + BigInt(s.charCodeAt(j) - 48);
        if (y > MAX_UINT) {
          overflow = true;
          continue;
        }
        f = y;
        scale *= 10;
      }
      post = j > 0;
      s = s.slice(j);
    }
    if (!pre && !post) throw invalid();
    let k = 0;
    while (k < s.length && !(s[k] === "." || isDigit(s[k]))) k++;
    if (k === 0) throw invalid("missing unit in duration");
    const unitName = s.slice(0, k);
    s = s.slice(k);
    const unit = UNITS.get(unitName);
    if (unit === undefined) throw invalid(`unknown unit ${JSON.stringify(unitName)} in duration`);
    if (v > MAX_UINT / unit) throw invalid();
    v *= unit;
    if (f > 0n) {
      v += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
      if (v > MAX_UINT) throw invalid();
    }
    d += v;
    if (d > MAX_UINT) throw invalid();
  }
  if (neg) return -d;
  if (d > MAX_UINT - 1n) throw invalid();
  return d;
}

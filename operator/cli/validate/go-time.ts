// The apiserver's reading of `format: date-time` strings: the OpenAPI format check
// (kube-openapi strfmt.IsDateTime) and the conversion to a CEL timestamp
// (strfmt.ParseDateTime, i.e. Go's time.Parse with RFC 3339 layouts).

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME_OF_DAY = /^([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|([+-][0-9]{2}:[0-9]{2}))$/;

function isLeap(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

/** Go time.Parse("2006-01-02", s) succeeds. */
function isGoDate(text: string): boolean {
  const m = DATE.exec(text);
  if (!m) return false;
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1) return false;
  return day <= monthLength(Number(m[1]), month);
}

function monthLength(year: number, month: number): number {
  if (month === 2) return isLeap(year) ? 29 : 28;
  return [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
}

/** kube-openapi strfmt.IsDateTime: what `format: date-time` admits. */
export function isOpenApiDateTime(text: string): boolean {
  if (text.length < 4) return false;
  const parts = text.toLowerCase().split("t");
  if (parts.length < 2 || !isGoDate(parts[0]!)) return false;
  const m = TIME_OF_DAY.exec(parts[1]!);
  if (!m) return false;
  return m[1]! <= "23" && m[2]! <= "59" && m[3]! <= "59";
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?(Z|[+-]\d{2}:\d{2})$/;

export interface GoInstant {
  /** Seconds since the Unix epoch. */
  seconds: bigint;
  nanos: number;
}

/** strfmt.ParseDateTime of a string that passed isOpenApiDateTime; undefined where Go fails. */
export function parseGoDateTime(text: string): GoInstant | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > monthLength(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetSeconds = 0;
  const zone = m[8]!;
  if (zone !== "Z") {
    const zh = Number(zone.slice(1, 3));
    const zm = Number(zone.slice(4, 6));
    if (zh > 24 || zm > 59) return undefined;
    offsetSeconds = (zone[0] === "-" ? -1 : 1) * (zh * 3600 + zm * 60);
  }
  const fraction = (m[7] ?? "").slice(0, 9).padEnd(9, "0");
  const utc = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC maps years 0-99 to 1900-1999; shift them back.
  const epochMs = year < 100 ? new Date(utc).setUTCFullYear(year) : utc;
  return { seconds: BigInt(epochMs / 1000) - BigInt(offsetSeconds), nanos: Number(fraction) };
}


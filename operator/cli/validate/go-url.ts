// Go's url.ParseRequestURI (Go 1.26, strict colons in http/https hosts), which the
// apiserver's CEL `isURL` function calls: true exactly where Go parses without error.
import { isIPv6 } from "node:net";

const HOST_PUNCTUATION = new Set("!$&'()*+,;=:[]<>\"-_.~");

function isAlnum(c: string): boolean {
  return (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9");
}

const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9a-fA-F]$/.test(c);

/** Go's unescape(s, mode) succeeds; `host` applies the host rules. */
function unescapes(s: string, host: boolean): boolean {
  for (let i = 0; i < s.length; ) {
    const c = s[i]!;
    if (c === "%") {
      if (i + 2 >= s.length || !isHex(s[i + 1]) || !isHex(s[i + 2])) return false;
      if (host && parseInt(s[i + 1]!, 16) < 8 && s.slice(i, i + 3) !== "%25") return false;
      i += 3;
      continue;
    }
    if (host && c.charCodeAt(0) < 0x80 && !isAlnum(c) && !HOST_PUNCTUATION.has(c)) return false;
    i++;
  }
  return true;
}

function validOptionalPort(port: string): boolean {
  return port === "" || /^:[0-9]*$/.test(port);
}

function validUserinfo(s: string): boolean {
  return /^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/.test(s);
}

function parseHostOk(scheme: string, host: string): boolean {
  const open = host.lastIndexOf("[");
  if (open > 0) return false;
  if (open === 0) {
    const close = host.lastIndexOf("]");
    if (close < 0) return false;
    const colonPort = host.slice(close + 1);
    if (!validOptionalPort(colonPort) || !unescapes(colonPort, true)) return false;
    const hostname = host.slice(1, close);
    const zone = hostname.indexOf("%25");
    const address = zone >= 0 ? hostname.slice(0, zone) : hostname;
    if (!unescapes(address, true)) return false;
    // An IPv6 literal (an IPv4 address in brackets is refused).
    try {
      return isIPv6(decodeURIComponent(address));
    } catch {
      return false;
    }
  }
  const first = host.indexOf(":");
  if (first !== -1) {
    const last = host.lastIndexOf(":");
    const at = last !== first && !(scheme === "http" || scheme === "https") ? last : first;
    if (!validOptionalPort(host.slice(at))) return false;
  }
  return unescapes(host, true);
}

export function isGoRequestURI(raw: string): boolean {
  for (let i = 0; i < raw.length; i++) {
    const b = raw.charCodeAt(i);
    if (b < 0x20 || b === 0x7f) return false;
  }
  if (raw === "") return false;
  if (raw === "*") return true;
  let scheme = "";
  let rest = raw;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if ((c >= "a" && c <= "z") || (c >= "A" && c <= "Z")) continue;
    if ((c >= "0" && c <= "9") || c === "+" || c === "-" || c === ".") {
      if (i === 0) break;
      continue;
    }
    if (c === ":") {
      if (i === 0) return false;
      scheme = raw.slice(0, i).toLowerCase();
      rest = raw.slice(i + 1);
    }
    break;
  }
  if (rest.endsWith("?") && rest.indexOf("?") === rest.length - 1) rest = rest.slice(0, -1);
  else {
    const q = rest.indexOf("?");
    if (q >= 0) rest = rest.slice(0, q);
  }
  if (!rest.startsWith("/")) return scheme !== "";
  if (scheme !== "" && rest.startsWith("//")) {
    let authority = rest.slice(2);
    rest = "";
    const slash = authority.indexOf("/");
    if (slash >= 0) {
      rest = authority.slice(slash);
      authority = authority.slice(0, slash);
    }
    const at = authority.lastIndexOf("@");
    if (!parseHostOk(scheme, at < 0 ? authority : authority.slice(at + 1))) return false;
    if (at >= 0) {
      const userinfo = authority.slice(0, at);
      if (!validUserinfo(userinfo)) return false;
      const colon = userinfo.indexOf(":");
      const parts = colon < 0 ? [userinfo] : [userinfo.slice(0, colon), userinfo.slice(colon + 1)];
      if (!parts.every((part) => unescapes(part, false))) return false;
    }
  }
  return unescapes(rest, false);
}

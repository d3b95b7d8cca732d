// The listen addresses of the operator's and the gate's servers (flags such as
// --metrics-bind-address). A module of its own: the gate reads its addresses with it and
// loads nothing of the operator's settings.

/** Splits "host:port" or ":port"; port 0 lets the OS choose. */
export function parseAddress(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(":");
  const port = Number(address.slice(colon + 1));
  if (colon < 0 || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`"${address}" is not an address of the form host:port or :port`);
  }
  return { host: address.slice(0, colon) || "0.0.0.0", port };
}

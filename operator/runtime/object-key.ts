// How the controllers key an object in their queues and caches: "namespace/name", or the
// name alone for a cluster-scoped object. Its own module so that the credential gate, which
// keys its caches the same way, does not load the controller machinery with it.
export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

export function splitKey(key: string): [string | undefined, string] {
  const slash = key.indexOf("/");
  return slash < 0 ? [undefined, key] : [key.slice(0, slash), key.slice(slash + 1)];
}

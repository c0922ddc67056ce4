/**
 * `node:fs`, loaded lazily: the library must bundle for browsers, so it never imports Node built-ins statically.
 * Node ≥ 20.16 hands the module over synchronously with process.getBuiltinModule; an `import()` goes through
 * the ESM loader's hooks, which under tsx (how this package runs) is a round trip to its hooks thread — 1–7 ms
 * for a process's first import, measured, a visible part of a model's first read.
 */
export async function nodeFs(): Promise<typeof import('node:fs')> {
  const get = (globalThis.process as { getBuiltinModule?: (id: string) => unknown } | undefined)?.getBuiltinModule;
  return (get?.('node:fs') as typeof import('node:fs') | undefined) ?? import('node:fs');
}

/**
 * Locating the shared Keras corpus (../shared/keras-corpus beside the checkout). Tests that need it
 * call `corpusOrSkip(t)` and skip with a clear message when it is absent; it is never copied here.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const corpusDir: string | null = (() => {
  const candidates = [process.env.KERAS_CORPUS, join(repoRoot, '..', 'shared', 'keras-corpus')].filter(Boolean) as string[];
  return candidates.find((p) => existsSync(join(p, 'inventory.json'))) ?? null;
})();

export const SKIP_NO_CORPUS = 'shared Keras corpus not found at ../shared/keras-corpus (set KERAS_CORPUS to point at it)';

export interface InventoryRecord {
  path: string;
  kind: string;
  keras_version?: string | null;
  backend?: string | null;
  model_class?: string;
  layers?: Record<string, number>;
  initializers?: Record<string, number>;
  quirks?: string[];
  h5_weight_count?: number;
  [k: string]: unknown;
}

let cached: InventoryRecord[] | null = null;
export function inventory(): InventoryRecord[] {
  if (!corpusDir) return [];
  cached ??= JSON.parse(readFileSync(join(corpusDir, 'inventory.json'), 'utf8')) as InventoryRecord[];
  return cached;
}

export function corpusPath(rel: string): string {
  if (!corpusDir) throw new Error(SKIP_NO_CORPUS);
  return join(corpusDir, rel);
}

/** The JSON architecture that goes with a weights-only file, by the corpus' naming conventions. */
export function pairedConfig(weights: string, jsons: Set<string>): string | undefined {
  const d = weights.slice(0, weights.lastIndexOf('/'));
  const b = weights.slice(weights.lastIndexOf('/') + 1);
  const stem = b.endsWith('.h5') ? b.slice(0, -3) : b;
  const stems = [stem, stem.replace(/_?weights?$/, ''), stem.replace(/weights/, 'config'), stem.replace(/weights/, 'model'), stem.replace(/_weights/, '')];
  for (const s of stems) for (const suf of ['.json', '_config.json', '_model.json', '_architecture.json']) {
    if (jsons.has(`${d}/${s}${suf}`)) return `${d}/${s}${suf}`;
  }
  return undefined;
}

/**
 * File → ModelSpec with weights attached, through the public reader (src/import.ts). Adds the one
 * thing the runtime needs that the reader leaves out: a `.keras` archive's `compile_config` as the
 * training config (Keras 3 keeps loss/optimizer/metrics there).
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { NotAKerasModelError } from '../errors.ts';
import { readModelFile, type ImportOptions as ReadOptions } from '../import.ts';
import type { ModelSpec } from '../spec/types.ts';

export type FileInput = string | Uint8Array;
export type { ReadOptions };

/**
 * Paths are read into memory first: h5wasm's in-memory (ESM) build starts in ~0.5 s where its
 * Node file-system build takes ~4 s, which would dominate the time to a ready model.
 */
async function bytes(p: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(p));
  } catch (cause) {
    throw new NotAKerasModelError(`cannot read the file: ${(cause as Error).message}`, { file: p, cause, hint: 'check the path' });
  }
}

export async function readModelSpec(input: FileInput, opts: ReadOptions = {}): Promise<ModelSpec> {
  const o = { ...opts };
  if (typeof input === 'string') { o.label ??= basename(input); input = await bytes(input); }
  if (typeof o.weights === 'string') o.weights = await bytes(o.weights);
  const spec = await readModelFile(input, o);
  if (!spec.trainingConfig && spec.format === 'keras-v3') {
    const o = spec.originalConfig as Record<string, unknown> | null;
    const cc = o && typeof o === 'object' ? o.compile_config : null;
    if (cc && typeof cc === 'object' && !Array.isArray(cc)) spec.trainingConfig = cc as Record<string, unknown>;
  }
  return spec;
}

/**
 * File → ModelSpec with weights attached, through the public reader (src/import.ts). Adds the one
 * thing the runtime needs that the reader leaves out: a `.keras` archive's `compile_config` as the
 * training config (Keras 3 keeps loss/optimizer/metrics there).
 */
import { readModelFile, type ImportOptions as ReadOptions } from '../import.ts';
import type { ModelSpec } from '../spec/types.ts';

export type FileInput = string | Uint8Array;
export type { ReadOptions };

export async function readModelSpec(input: FileInput, opts: ReadOptions = {}): Promise<ModelSpec> {
  const spec = await readModelFile(input, opts);
  if (!spec.trainingConfig && spec.format === 'keras-v3') {
    const o = spec.originalConfig as Record<string, unknown> | null;
    const cc = o && typeof o === 'object' ? o.compile_config : null;
    if (cc && typeof cc === 'object' && !Array.isArray(cc)) spec.trainingConfig = cc as Record<string, unknown>;
  }
  return spec;
}

/** Lenient parsing of the Keras version strings found in files ("2.2.4-tf", "2.13.1", "3.15.1", "1.2.2"). */
import type { KerasVersion } from './types.ts';

/**
 * Parse a recorded Keras version. `raw` null/empty (Keras 1 weight files record none) or unparseable →
 * an inferred version with `opts.inferredMajor` (default 1: the only Keras that records nothing).
 */
export function parseKerasVersion(raw: string | null | undefined, opts: { inferredMajor?: 1 | 2 | 3 } = {}): KerasVersion {
  const text = typeof raw === 'string' ? raw.trim() : '';
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(.*)$/.exec(text);
  if (!m) {
    const major = opts.inferredMajor ?? 1;
    return { raw: text === '' ? null : text, major, minor: 0, patch: 0, tfKeras: false, inferred: true };
  }
  const rawMajor = Number(m[1]);
  const minor = m[2] !== undefined ? Number(m[2]) : 0;
  const patch = m[3] !== undefined ? Number(m[3]) : 0;
  const suffix = m[4] ?? '';
  // Keras 0.x configs follow the Keras 1 rules; anything above 3 is assumed to keep the Keras 3 format.
  const major: 1 | 2 | 3 = rawMajor <= 1 ? 1 : rawMajor === 2 ? 2 : 3;
  // "-tf" marks tf.keras 1.13–2.3; Keras 2.4+ only ever shipped inside TensorFlow.
  const tfKeras = major === 2 && (/-tf\b/i.test(suffix) || minor >= 4);
  return { raw: text, major, minor, patch, tfKeras, inferred: false };
}

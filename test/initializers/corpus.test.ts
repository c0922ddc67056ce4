/**
 * Every initializer that appears in the real-file corpus maps exactly with the semantics of the
 * Keras that wrote the file; the custom ones (QKeras QInitializer, a Python function) raise the typed
 * error. Configs are read straight from the files (JSON, HDF5 `model_config`, `.keras` config.json).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import h5wasm from 'h5wasm/node';
import { unzipSync, strFromU8 } from 'fflate';
import { corpusDir, corpusPath, inventory, SKIP_NO_CORPUS, type InventoryRecord } from '../helpers/corpus.ts';
import { mapInitializer } from '../../src/initializers/mapping.ts';
import { UnsupportedInitializerError } from '../../src/errors.ts';
import { version } from './stats.ts';

const INIT_KEY = /(_initializer|^init|^inner_init|_init)$/;

async function loadConfig(rec: InventoryRecord): Promise<unknown | null> {
  const p = corpusPath(rec.path);
  const bytes = new Uint8Array(readFileSync(p));
  // sniff the container from the bytes, never from the name
  if (bytes[0] === 0x50 && bytes[1] === 0x4b) {
    const files = unzipSync(bytes, { filter: (f) => f.name === 'config.json' });
    return files['config.json'] ? JSON.parse(strFromU8(files['config.json'])) : null;
  }
  if (!(bytes[0] === 0x89 && bytes[1] === 0x48 && bytes[2] === 0x44 && bytes[3] === 0x46)) return JSON.parse(strFromU8(bytes));
  await h5wasm.ready;
  const f = new h5wasm.File(p, 'r');
  try {
    const v = f.attrs['model_config']?.value;
    return typeof v === 'string' ? JSON.parse(v) : null;
  } finally { f.close(); }
}

interface Found { key: string; value: unknown; layer: string; className: string }
function collect(node: unknown, out: Found[], layer = '?', className = '?'): void {
  if (Array.isArray(node)) { for (const x of node) collect(x, out, layer, className); return; }
  if (!node || typeof node !== 'object') return;
  const o = node as Record<string, unknown>;
  const cfg = o.config as Record<string, unknown> | undefined;
  if (typeof o.class_name === 'string' && cfg && typeof cfg === 'object' && !Array.isArray(cfg) && ('name' in cfg || 'layers' in cfg)) {
    layer = String(cfg.name ?? o.name ?? layer); className = o.class_name;
  }
  for (const [k, v] of Object.entries(o)) {
    if (INIT_KEY.test(k) && (typeof v === 'string' || (v && typeof v === 'object' && 'class_name' in (v as object)))) {
      out.push({ key: k, value: v, layer, className });
    } else collect(v, out, layer, className);
  }
}

test('every initializer in the corpus maps exactly (custom ones raise UnsupportedInitializerError)', { timeout: 240_000 }, async (t) => {
  if (!corpusDir) { t.skip(SKIP_NO_CORPUS); return; }
  const recs = inventory().filter((r) => r.initializers && Object.keys(r.initializers).length > 0);
  assert.ok(recs.length > 500, `only ${recs.length} corpus files list initializers`);
  let mapped = 0, custom = 0, files = 0;
  const seen = new Map<string, number>();
  const problems: string[] = [];
  for (const rec of recs) {
    const config = await loadConfig(rec);
    if (config === null) continue;
    files++;
    const found: Found[] = [];
    collect(config, found);
    const expectedCount = Object.values(rec.initializers!).reduce((a, b) => a + b, 0);
    // the inventory does not count Keras 1 LSTM's forget_bias_init (always 'one' there)
    const counted = found.filter((f) => f.key !== 'forget_bias_init').length;
    if (counted !== expectedCount) problems.push(`${rec.path}: found ${counted} initializers, inventory lists ${expectedCount}`);
    const raw = rec.keras_version ?? null;
    const kv = version(raw, { inferredMajor: rec.config_style === 'keras1' ? 1 : 2 });
    for (const f of found) {
      const label = typeof f.value === 'string' ? f.value : String((f.value as { class_name: string }).class_name);
      try {
        const m = mapInitializer(f.value, { kerasVersion: kv, param: f.key, layer: f.layer, className: f.className, source: rec.path, backend: rec.backend ?? null });
        if (!m.exact && !/theano|cntk/.test(m.note ?? '')) problems.push(`${rec.path} ${f.layer}.${f.key}: inexact: ${m.note}`);
        mapped++;
        seen.set(label, (seen.get(label) ?? 0) + 1);
      } catch (e) {
        if (e instanceof UnsupportedInitializerError && /QInitializer|random_kernel/.test(JSON.stringify(f.value))) { custom++; continue; }
        problems.push(`${rec.path} ${f.layer}.${f.key}: ${(e as Error).message}`);
      }
    }
  }
  assert.deepEqual(problems.slice(0, 20), []);
  assert.ok(files > 500 && mapped > 10_000, `files ${files}, mapped ${mapped}`);
  assert.ok(custom >= 19, `custom initializers seen: ${custom}`);
  t.diagnostic(`${files} files, ${mapped} initializers mapped, ${custom} custom refused; names: ${[...seen.keys()].sort().join(', ')}`);
});

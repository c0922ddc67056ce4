/**
 * TensorFlow.js backend selection. In Node the default is `wasm` (XNNPACK kernels, ~25× faster than
 * the pure-JS `cpu` backend); `cpu` gives the same results; any other backend the caller registered
 * (webgl, webgpu, tensorflow via tfjs-node…) is accepted by name.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { UnsupportedFeatureError } from '../errors.ts';
import { prepareWinograd } from '../kernels/winograd.ts';
import { registerWasmGradientKernels } from './wasm-gradients.ts';

const isNode = typeof process !== 'undefined' && !!process.versions?.node;
let wasmPathsSet = false;
let prodSet = false;

/** The backend used when the caller names none: wasm in Node (and browsers), as the issue asks. */
export const DEFAULT_BACKEND = 'wasm';

/**
 * Make `name` (default wasm) the active tfjs backend and wait until it is ready.
 * Returns the backend name now active. Throws UnsupportedFeatureError naming the registered
 * backends when `name` is not one of them or fails to initialize.
 */
export async function useBackend(name: string = DEFAULT_BACKEND, opts: { threads?: number } = {}): Promise<string> {
  if (!prodSet) {
    // Production mode drops tfjs' debug checks and its "install tfjs-node" banner on the cpu backend.
    tf.enableProdMode();
    prodSet = true;
  }
  if (name === 'wasm') {
    await prepareWasm(opts.threads);
    registerWasmGradientKernels();
    // Conv2D's Winograd kernel (40 KB): browsers compile modules over 4 KiB only asynchronously on the main thread
    await prepareWinograd();
  }
  if (tf.getBackend() === name && tf.engine().backendName === name) return name;
  const known = Object.keys(tf.engine().registryFactory);
  if (!known.includes(name)) {
    throw new UnsupportedFeatureError(`tfjs backend '${name}' is not registered (registered: ${known.join(', ')})`, {
      hint: `use one of ${known.join(', ')}, or import the package that registers '${name}' before importing the model`,
    });
  }
  let ok = false;
  try {
    ok = await tf.setBackend(name);
    await tf.ready();
  } catch (cause) {
    throw new UnsupportedFeatureError(`tfjs backend '${name}' failed to initialize`, { cause, hint: 'try --backend cpu' });
  }
  if (!ok) throw new UnsupportedFeatureError(`tfjs backend '${name}' failed to initialize`, { hint: 'try --backend cpu' });
  return name;
}

/** The active backend's name (initializing the default one when none is active yet). */
export async function currentBackend(): Promise<string> {
  return tf.getBackend() ?? useBackend();
}

async function prepareWasm(threads?: number): Promise<void> {
  if (wasmPathsSet) return;
  if (isNode) {
    // In Node the .wasm binaries are loaded from the package's dist folder, not fetched. (Node modules
    // are imported lazily so that browser bundles of this file need no Node shims.)
    const { createRequire } = await import('node:module');
    const { dirname, join } = await import('node:path');
    const req = createRequire(import.meta.url);
    setWasmPaths(join(dirname(req.resolve('@tensorflow/tfjs-backend-wasm')), '/'));
  }
  // Only effective where the threaded build loads (cross-origin isolated browsers); Node runs the
  // single-threaded SIMD build, so this is a no-op there.
  setThreadsCount(threads ?? Math.max(1, Math.min(4, (globalThis.navigator as { hardwareConcurrency?: number } | undefined)?.hardwareConcurrency ?? 2)));
  wasmPathsSet = true;
}

/**
 * Winograd F(4×4, 3×3) and F(2×2, 3×3) convolution for tfjs' `wasm` backend: 3×3 kernels, stride 1,
 * dilation 1, 'same' or 'valid' padding, NHWC float32, optional bias and fused relu. F(4×4)
 * multiplies 4× less than the direct convolution XNNPACK runs, F(2×2) 2.25× less; winogradTileFor
 * picks one per shape (F(4×4) where it multiplies ≤ 0.8× what F(2×2) does, edge tiles counted,
 * and C ≤ 128). bench/conv.ts: F(4×4) is 1.3-1.6× faster than F(2×2) and 2.1-4.1× faster than
 * tfjs' FusedConv2D from 8 input channels up, 1.3× at 3. canUseWinograd says whether it *can* run
 * a convolution, not whether it pays: below 8 input channels only F(4×4) does (F(2×2) is 0.95× at 3),
 * which is how Conv2D (src/layers/conv.ts) chooses.
 *
 * The kernel (src/kernels/winograd.c, embedded by scripts/build-winograd.sh) is a WebAssembly SIMD
 * module that imports the backend's own memory, so it reads the input, filter and bias tensors in
 * place and writes the output tensor tfjs allocated; its workspace is malloc'ed from the backend's
 * heap for the duration of one call. The filter transform is recomputed per call (16·C·K floats,
 * a few µs), so there is no cache to keep in step with the filter tensor's lifetime.
 *
 * Browsers compile modules over 4 KiB synchronously only off the main thread: there, await
 * `prepareWinograd()` once before the first call. Node compiles on first use.
 */
import * as tf from '@tensorflow/tfjs-core';
import { WINOGRAD_WASM_BASE64 } from './winograd-wasm.ts';

export type WinogradActivation = 'linear' | 'relu';
export type WinogradPadding = 'same' | 'valid';

export interface WinogradOptions {
  padding: WinogradPadding;
  bias?: tf.Tensor1D;
  activation?: WinogradActivation;
  /** Output tile: 2 for F(2×2, 3×3), 4 for F(4×4, 3×3); default picks per shape (winogradTileFor). */
  tile?: 2 | 4;
}

const KERNEL_NAME = 'KerasImportWinogradConv2D';
/** Output tiles (2×2 pixels each) per block: keeps V, M and U in L2 (≤ ~0.8 MB at C = K = 64). */
const TILES_PER_BLOCK = 64;
/** F(4×4) tiles (4×4 pixels each) per block: 36 planes instead of 16, so fewer tiles keep V and M in L2. */
const TILES_PER_BLOCK_4 = 32;

/**
 * The tile winogradConv2d uses for an OH×OW output from C input channels: F(4×4) multiplies 36 per
 * 4×4 tile, F(2×2) 16 per 2×2 tile; F(4×4) is taken where that count, with partial tiles at the
 * edges, is at most 0.8× F(2×2)'s (its transforms cost more per tile), and only up to C = 128: its
 * rounding error grows with C (max |Δ| / max |y| against XNNPACK 6.7e-6 at C = 128, 1.3e-5 at 256,
 * over the 1e-5 the tests hold). bench/conv.ts measured F(4×4) 1.3-1.6× faster than F(2×2) on every
 * shape there (outputs 8×8 and up).
 */
export function winogradTileFor(outHeight: number, outWidth: number, inChannels: number): 2 | 4 {
  if (inChannels > 128) return 2;
  const f4 = 36 * Math.ceil(outHeight / 4) * Math.ceil(outWidth / 4);
  const f2 = 16 * Math.ceil(outHeight / 2) * Math.ceil(outWidth / 2);
  return f4 <= 0.8 * f2 ? 4 : 2;
}

interface WinogradExports {
  wg_conv(x: number, g: number, bias: number, y: number, ws: number,
    n: number, h: number, w: number, c: number, k: number, oh: number, ow: number,
    padTop: number, padLeft: number, act: number, tilesPerBlock: number): void;
  wg_workspace_floats(c: number, k: number, tilesPerBlock: number): number;
  wg4_conv(x: number, g: number, bias: number, y: number, ws: number,
    n: number, h: number, w: number, c: number, k: number, oh: number, ow: number,
    padTop: number, padLeft: number, act: number, tilesPerBlock: number): void;
  wg4_workspace_floats(c: number, k: number, tilesPerBlock: number): number;
}

/** The parts of tfjs' BackendWasm this kernel uses (its class is not exported with these members typed). */
interface WasmBackendLike {
  wasm: { asm: { memory: WebAssembly.Memory }; _malloc(bytes: number): number; _free(ptr: number): void };
  dataIdMap: { get(id: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

let compiled: WebAssembly.Module | null = null;
const instances = new WeakMap<WebAssembly.Memory, WinogradExports>();

function wasmBytes(): Uint8Array<ArrayBuffer> {
  const s = atob(WINOGRAD_WASM_BASE64);
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}

/** Compile the kernel asynchronously (required once in browsers before the first call; optional in Node). */
export async function prepareWinograd(): Promise<void> {
  if (compiled || compileError) return;
  try {
    compiled = await WebAssembly.compile(wasmBytes());
  } catch (e) {
    // e.g. an engine without WebAssembly SIMD: Conv2D then keeps tfjs' own kernel (winogradUnsupportedReason says why)
    compileError = e instanceof Error ? e.message : String(e);
  }
}
let compileError: string | null = null;

function exportsFor(memory: WebAssembly.Memory): WinogradExports {
  let ex = instances.get(memory);
  if (!ex) {
    if (!compiled) {
      try {
        compiled = new WebAssembly.Module(wasmBytes());
      } catch (cause) {
        throw new Error('the Winograd kernel could not be compiled synchronously here (browser main thread): await prepareWinograd() first', { cause });
      }
    }
    ex = new WebAssembly.Instance(compiled, { env: { memory } }).exports as unknown as WinogradExports;
    instances.set(memory, ex);
  }
  return ex;
}

/**
 * Why the Winograd kernel cannot run this convolution (null when it can). It needs the active
 * backend to be `wasm` and a 3×3 filter [3, 3, C, K] over NHWC float32 input [N, H, W, C] with
 * stride 1 and dilation 1, padding 'same' or 'valid' and (for 'valid') H, W ≥ 3.
 */
export function winogradUnsupportedReason(
  xShape: readonly number[], filterShape: readonly number[],
  opts: { padding: string; strides?: number | readonly number[]; dilations?: number | readonly number[]; dtype?: tf.DataType },
): string | null {
  if (tf.getBackend() !== 'wasm') return `backend is ${tf.getBackend()}, not wasm`;
  if (compileError) return `the kernel does not compile here (${compileError})`;
  const memory = (tf.backend() as unknown as Partial<WasmBackendLike>).wasm?.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) return 'the wasm backend exposes no WebAssembly.Memory to share';
  // The threaded build's memory is shared; the kernel module imports a plain one (and runs on one thread).
  if (typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer) return 'the threaded wasm build (shared memory) is not supported';
  if (xShape.length !== 4 || filterShape.length !== 4) return 'input and filter must be rank 4 (NHWC, HWIO)';
  if (filterShape[0] !== 3 || filterShape[1] !== 3) return `filter is ${filterShape[0]}×${filterShape[1]}, not 3×3`;
  if (filterShape[2] !== xShape[3]) return `filter has ${filterShape[2]} input channels, input has ${xShape[3]}`;
  const ones = (s: number | readonly number[] | undefined) => s === undefined || (typeof s === 'number' ? s === 1 : s.every((v) => v === 1));
  if (!ones(opts.strides)) return 'strides must be 1';
  if (!ones(opts.dilations)) return 'dilations must be 1';
  if (opts.padding !== 'same' && opts.padding !== 'valid') return `padding '${opts.padding}' (only 'same' and 'valid')`;
  if ((opts.dtype ?? 'float32') !== 'float32') return `dtype ${opts.dtype}, not float32`;
  if ([...xShape, ...filterShape].some((d) => !(d > 0))) return 'empty tensor';
  if (opts.padding === 'valid' && (xShape[1] < 3 || xShape[2] < 3)) return 'input smaller than the filter';
  return null;
}

/** True when `winogradConv2d` can run this convolution (see winogradUnsupportedReason). */
export function canUseWinograd(
  xShape: readonly number[], filterShape: readonly number[],
  opts: { padding: string; strides?: number | readonly number[]; dilations?: number | readonly number[]; dtype?: tf.DataType },
): boolean {
  return winogradUnsupportedReason(xShape, filterShape, opts) === null;
}

/**
 * act(conv2d(x, filter, stride 1, padding) + bias) by Winograd F(2×2, 3×3). Same contract as
 * `tf.fused.conv2d` with those arguments; float32 results differ from it by rounding only (the
 * transforms add a few ulps relative to the output's scale). Throws where canUseWinograd is false.
 */
export function winogradConv2d(x: tf.Tensor4D, filter: tf.Tensor4D, opts: WinogradOptions): tf.Tensor4D {
  const why = winogradUnsupportedReason(x.shape, filter.shape, { padding: opts.padding, dtype: x.dtype });
  if (why) throw new Error(`winogradConv2d: ${why}`);
  if (filter.dtype !== 'float32') throw new Error(`winogradConv2d: filter dtype ${filter.dtype}, not float32`);
  const bias = opts.bias;
  if (bias && (bias.rank !== 1 || bias.shape[0] !== filter.shape[3] || bias.dtype !== 'float32')) {
    throw new Error(`winogradConv2d: bias must be float32 [${filter.shape[3]}], got ${bias.dtype} [${bias.shape}]`);
  }
  const activation = opts.activation ?? 'linear';
  if (activation !== 'linear' && activation !== 'relu') throw new Error(`winogradConv2d: activation '${activation}' (only linear, relu)`);
  registerOnce();
  const inputs: tf.NamedTensorMap = bias ? { x, filter, bias } : { x, filter };
  const oh = opts.padding === 'same' ? x.shape[1] : x.shape[1] - 2, ow = opts.padding === 'same' ? x.shape[2] : x.shape[2] - 2;
  const tile = opts.tile ?? winogradTileFor(oh, ow, x.shape[3]);
  if (tile !== 2 && tile !== 4) throw new Error(`winogradConv2d: tile ${tile} (only 2, 4)`);
  return tf.engine().runKernel(KERNEL_NAME, inputs, { pad: opts.padding, activation, tile } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

let registered = false;
function registerOnce(): void {
  if (registered) return;
  if (!tf.getKernel(KERNEL_NAME, 'wasm')) tf.registerKernel({ kernelName: KERNEL_NAME, backendName: 'wasm', kernelFunc: winogradKernel as unknown as tf.KernelFunc });
  registered = true;
}

function winogradKernel(args: { inputs: Record<string, tf.TensorInfo>; backend: WasmBackendLike; attrs: { pad: WinogradPadding; activation: WinogradActivation; tile: 2 | 4 } }): tf.TensorInfo {
  const { inputs: { x, filter, bias }, backend, attrs } = args;
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filter.shape as [number, number, number, number], 1, 1, attrs.pad);
  const out = backend.makeOutput(info.outShape, 'float32');
  const offset = (t: tf.TensorInfo) => {
    const d = backend.dataIdMap.get(t.dataId);
    if (!d) throw new Error('winogradConv2d: tensor data is not on the wasm backend');
    return d.memoryOffset;
  };
  const { wasm } = backend;
  const ex = exportsFor(wasm.asm.memory);
  const [n, h, w, c] = x.shape;
  const k = filter.shape[3];
  const four = attrs.tile === 4;
  const tpb = four ? TILES_PER_BLOCK_4 : TILES_PER_BLOCK;
  const ws = wasm._malloc(4 * (four ? ex.wg4_workspace_floats(c, k, tpb) : ex.wg_workspace_floats(c, k, tpb)));
  if (!ws) throw new Error('winogradConv2d: out of wasm memory for the workspace');
  try {
    (four ? ex.wg4_conv : ex.wg_conv)(offset(x), offset(filter), bias ? offset(bias) : 0, offset(out), ws,
      n, h, w, c, k, info.outHeight, info.outWidth, info.padInfo.top, info.padInfo.left,
      attrs.activation === 'relu' ? 1 : 0, tpb);
  } finally {
    wasm._free(ws);
  }
  return out;
}

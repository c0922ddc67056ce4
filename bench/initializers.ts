/**
 * Initializer benchmark: glorot_uniform and he_normal on 4096×4096, Orthogonal on 512×2048, against
 * torch.nn.init (when a Python with torch is found: $TORCH_PYTHON, python3, Debian's /usr/bin/python3 with python3-torch, /tmp/tv/bin/python),
 * NumPy's Generator, and tfjs-layers' initializers (cpu backend) — all measured in this same run,
 * since these machines are noisy. Median of several runs each.
 *
 * Standalone: node --import tsx bench/initializers.ts   (or: npm run bench -- initializers)
 * Orthogonal only (ours and torch.nn.init.orthogonal_): BENCH_ONLY=orthogonal node --import tsx bench/initializers.ts
 */
import { spawnSync } from 'node:child_process';
import { computeFans, createRandom, mapInitializer } from '../src/initializers/index.ts';
import type { KerasVersion } from '../src/spec/types.ts';

const K3: KerasVersion = { raw: '3.15.1', major: 3, minor: 15, patch: 1, tfKeras: false, inferred: false };
const BIG = [4096, 4096];
const ORTH = [512, 2048];
const ORTH_SMALL = [64, 256]; // tfjs' op-by-op QR takes seconds even here

/** Best of `runs` (the least disturbed run on a shared machine): wall-clock and CPU milliseconds. */
interface Timing { wall: number; cpu: number }
function timeIt(fn: () => void, runs: number): Timing {
  fn(); // warm-up (JIT, WebAssembly tier-up)
  let wall = Infinity, cpu = Infinity;
  for (let i = 0; i < runs; i++) {
    const c = process.cpuUsage(); const s = performance.now();
    fn();
    wall = Math.min(wall, performance.now() - s);
    const d = process.cpuUsage(c); cpu = Math.min(cpu, (d.user + d.system) / 1000);
  }
  return { wall, cpu };
}

/** `into`: fill a preallocated array, as torch.nn.init fills an existing tensor; else allocate per call. */
function ours(name: string, shape: number[], into = false): () => void {
  const m = mapInitializer(name, { kerasVersion: K3, param: 'kernel_initializer' });
  const fans = computeFans(shape, 'dense', K3);
  const rng = createRandom(1);
  const out = into ? new Float32Array(shape.reduce((a, b) => a * b, 1)) : undefined;
  return () => { m.init.generate(shape, fans, rng, out); };
}

const PY = String.raw`
import json, sys, time
out = {}
def med(f, runs):
    # best of runs: wall and CPU (all threads) milliseconds
    f()
    wall = cpu = float("inf")
    for _ in range(runs):
        s = time.perf_counter(); c = time.process_time(); f()
        wall = min(wall, (time.perf_counter() - s) * 1e3); cpu = min(cpu, (time.process_time() - c) * 1e3)
    return {"wall": wall, "cpu": cpu}
only_orth = len(sys.argv) > 1 and sys.argv[1] == "orthogonal"
try:
    if only_orth: raise RuntimeError("skipped")
    import numpy as np
    g = np.random.default_rng(1)
    lim = (6 / 8192) ** 0.5
    out["numpy_uniform"] = med(lambda: g.uniform(-lim, lim, (4096, 4096)).astype(np.float32), 5)
    out["numpy_uniform_f32"] = med(lambda: g.random((4096, 4096), dtype=np.float32), 5)
    out["numpy_normal_f32"] = med(lambda: g.standard_normal((4096, 4096), dtype=np.float32), 5)
    out["numpy_version"] = np.__version__
except Exception as e:
    out["numpy_error"] = str(e)
try:
    import torch
    out["torch_version"] = torch.__version__
    import os
    # all cores (Debian's build reports 1 thread by default), then one thread
    for threads in (max(torch.get_num_threads(), os.cpu_count() or 1), 1):
        torch.set_num_threads(threads)
        t = torch.empty(4096, 4096); o = torch.empty(512, 2048)
        sfx = "" if threads != 1 else "_1thread"
        out["torch_threads" + sfx] = threads
        out["torch_orthogonal" + sfx] = med(lambda: torch.nn.init.orthogonal_(o), 7 if only_orth else 5)
        if only_orth: continue
        out["torch_xavier_uniform" + sfx] = med(lambda: torch.nn.init.xavier_uniform_(t), 5)
        out["torch_kaiming_normal" + sfx] = med(lambda: torch.nn.init.kaiming_normal_(t), 5)
        out["torch_trunc_normal" + sfx] = med(lambda: torch.nn.init.trunc_normal_(t, std=0.02), 5)
except Exception as e:
    out["torch_error"] = str(e)
print(json.dumps(out))
`;

const ONLY_ORTH = process.env.BENCH_ONLY === 'orthogonal';

type PyResult = Record<string, Timing | number | string>;
function python(only?: string): PyResult | null {
  const candidates = [process.env.TORCH_PYTHON, 'python3', '/usr/bin/python3', '/tmp/tv/bin/python'].filter(Boolean) as string[];
  let best: PyResult | null = null;
  for (const py of candidates) {
    const r = spawnSync(py, ['-c', PY, ...(only ? [only] : [])], { encoding: 'utf8', timeout: 300_000 });
    if (r.status !== 0 || !r.stdout) continue;
    try {
      const res = JSON.parse(r.stdout.trim().split('\n').pop()!) as PyResult;
      if (!best || (res.torch_version && !best.torch_version)) { best = { ...res, python: py }; }
      if (best.torch_version) break;
    } catch { /* next candidate */ }
  }
  return best;
}

async function tfjs(): Promise<Record<string, Timing> | string> {
  try {
    const tf = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-backend-cpu');
    const tfl = await import('@tensorflow/tfjs-layers');
    await tf.setBackend('cpu');
    // tfjs-layers' Orthogonal uses chained tensor methods that only the tfjs union package registers
    const P = tf.Tensor.prototype as unknown as Record<string, unknown>;
    P.flatten ??= function (this: import('@tensorflow/tfjs-core').Tensor) { return tf.reshape(this, [this.size]); };
    P.stridedSlice ??= function (this: import('@tensorflow/tfjs-core').Tensor, b: number[], e: number[], s: number[]) { return tf.stridedSlice(this, b, e, s); };
    P.sign ??= function (this: import('@tensorflow/tfjs-core').Tensor) { return tf.sign(this); };
    P.transpose ??= function (this: import('@tensorflow/tfjs-core').Tensor) { return tf.transpose(this); };
    P.reshape ??= function (this: import('@tensorflow/tfjs-core').Tensor, s: number[]) { return tf.reshape(this, s); };
    const warn = console.warn; console.warn = () => {};
    const run = (init: { apply(shape: number[]): import('@tensorflow/tfjs-core').Tensor }, shape: number[], runs: number) =>
      timeIt(() => { const x = init.apply(shape); x.dataSync(); x.dispose(); }, runs);
    const res = {
      glorot_uniform: run(tfl.initializers.glorotUniform({}), BIG, 3),
      he_normal: run(tfl.initializers.heNormal({}), BIG, 3),
      orthogonal_small: run(tfl.initializers.orthogonal({}), ORTH_SMALL, 1),
    };
    console.warn = warn;
    return res;
  } catch (e) {
    return `tfjs unavailable: ${(e as Error).message}`;
  }
}

/** Orthogonal 512×2048 against torch.nn.init.orthogonal_ only (BENCH_ONLY=orthogonal). */
function runOrthogonal(ms: (x: Timing | undefined) => string, ratio: (p: Timing | undefined, m: Timing) => string): void {
  const orth = timeIt(ours('orthogonal', ORTH, true), 7);
  console.log(`keras-import Orthogonal 512×2048 (one thread): ${ms(orth)}`);
  const py = python('orthogonal');
  const T = (k: string) => (py?.[k] && typeof py[k] === 'object' ? (py[k] as Timing) : undefined);
  if (!py?.torch_version) { console.log(`torch: not available here (${py?.torch_error ?? 'no python3 with torch found; set TORCH_PYTHON'})`); return; }
  console.log(`torch ${py.torch_version} (${py.python}): orthogonal_ 512×2048 ${ms(T('torch_orthogonal'))} with ${py.torch_threads} threads, ${ms(T('torch_orthogonal_1thread'))} with 1`);
  console.log(`  vs torch: ${ratio(T('torch_orthogonal'), orth)}; vs torch with 1 thread: ${ratio(T('torch_orthogonal_1thread'), orth)}`);
}

export async function run(): Promise<void> {
  const ms = (x: Timing | undefined) => (x ? `${x.wall.toFixed(1)} ms (cpu ${x.cpu.toFixed(1)})` : 'n/a');
  // ratio > 1: keras-import is faster. Wall-clock is what a user sees; CPU time (all threads) is robust
  // to other processes on a busy machine.
  const ratio = (peer: Timing | undefined, mine: Timing) => (peer
    ? `${(peer.wall / mine.wall).toFixed(2)}× wall, ${(peer.cpu / mine.cpu).toFixed(2)}× cpu`
    : 'n/a');
  if (ONLY_ORTH) { runOrthogonal(ms, ratio); return; }
  const o: Record<string, Timing> = {
    glorot: timeIt(ours('glorot_uniform', BIG, true), 5),
    he: timeIt(ours('he_normal', BIG, true), 5),
    glorotAlloc: timeIt(ours('glorot_uniform', BIG), 5),
    heAlloc: timeIt(ours('he_normal', BIG), 5),
    orth: timeIt(ours('orthogonal', ORTH, true), 3),
    orthSmall: timeIt(ours('orthogonal', ORTH_SMALL), 3),
  };
  console.log('ratios are peer time / keras-import time: above 1 means keras-import is faster (best of several runs)');
  console.log(`keras-import (one thread; WebAssembly SIMD), filling a preallocated array like torch.nn.init: glorot_uniform 4096² ${ms(o.glorot)}, he_normal 4096² ${ms(o.he)}, Orthogonal 512×2048 ${ms(o.orth)}, Orthogonal 64×256 ${ms(o.orthSmall)}`);
  console.log(`keras-import allocating a new array per call (generate() without \`out\`): glorot_uniform ${ms(o.glorotAlloc)}, he_normal ${ms(o.heAlloc)}`);
  const py = python();
  const T = (k: string) => (py?.[k] && typeof py[k] === 'object' ? (py[k] as Timing) : undefined);
  if (py?.torch_version) {
    console.log(`torch ${py.torch_version} (${py.python}, ${py.torch_threads} threads): xavier_uniform_ ${ms(T('torch_xavier_uniform'))}, kaiming_normal_ ${ms(T('torch_kaiming_normal'))}, trunc_normal_ ${ms(T('torch_trunc_normal'))}, orthogonal_ 512×2048 ${ms(T('torch_orthogonal'))}`);
    console.log(`  vs torch: glorot_uniform ${ratio(T('torch_xavier_uniform'), o.glorot)}; he_normal (truncated) vs kaiming_normal_ (untruncated) ${ratio(T('torch_kaiming_normal'), o.he)}, vs trunc_normal_ ${ratio(T('torch_trunc_normal'), o.he)}; Orthogonal ${ratio(T('torch_orthogonal'), o.orth)}`);
    console.log(`  vs torch with 1 thread: glorot_uniform ${ratio(T('torch_xavier_uniform_1thread'), o.glorot)}; he_normal ${ratio(T('torch_kaiming_normal_1thread'), o.he)}; Orthogonal ${ratio(T('torch_orthogonal_1thread'), o.orth)}`);
  } else {
    console.log(`torch: not available here (${py?.torch_error ?? 'no python3 with torch found; set TORCH_PYTHON'}) — comparing with NumPy and tfjs-layers instead`);
  }
  if (py?.numpy_version) {
    console.log(`numpy ${py.numpy_version} Generator: uniform(f64→f32) ${ms(T('numpy_uniform'))}, random(f32) ${ms(T('numpy_uniform_f32'))}, standard_normal(f32) ${ms(T('numpy_normal_f32'))}`);
    console.log(`  vs numpy: glorot_uniform ${ratio(T('numpy_uniform_f32'), o.glorot)} (vs f32 random), he_normal ${ratio(T('numpy_normal_f32'), o.he)} (vs f32 standard_normal)`);
  } else console.log('numpy: not available');
  const tj = await tfjs();
  if (typeof tj === 'string') console.log(tj);
  else {
    // tfjs allocates a tensor per call: compare with our allocating variant
    o.glorot = o.glorotAlloc; o.he = o.heAlloc;
    console.log(`tfjs-layers 4 (cpu backend): glorotUniform ${ms(tj.glorot_uniform)}, heNormal ${ms(tj.he_normal)}, orthogonal 64×256 ${ms(tj.orthogonal_small)}`);
    console.log(`  vs tfjs-layers: glorot_uniform ${ratio(tj.glorot_uniform, o.glorot)}, he_normal ${ratio(tj.he_normal, o.he)}, Orthogonal 64×256 ${ratio(tj.orthogonal_small, o.orthSmall)}`);
  }
}

const isMain = process.argv[1] && /bench[\\/]initializers\.ts$/.test(process.argv[1]);
if (isMain) await run();

/**
 * tfjs' wasm backend has no kernels for the gradients of Conv2D and DepthwiseConv2D (Conv2DBackpropFilter,
 * DepthwiseConv2dNativeBackpropFilter/Input), so `fit` on an imported convolutional model stops with "Kernel …
 * not registered for backend 'wasm'". These registrations run tfjs' own cpu-backend kernels for them: the
 * inputs are copied out of the wasm heap, the cpu kernel runs (plain JS: the same numbers as `--backend cpu`,
 * slower than a wasm kernel would be), and its result is copied back. Only gradients use them; inference
 * never does. Kernels the wasm backend gains in a later tfjs are left alone.
 */
import * as tf from '@tensorflow/tfjs-core';

export const CPU_DELEGATED_KERNELS = ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput'] as const;

interface Backend {
  readSync(dataId: object): tf.backend_util.BackendValues;
  write(values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType): object;
  disposeData(dataId: object): void;
}
interface WasmBackend extends Backend {
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: tf.backend_util.BackendValues): tf.TensorInfo;
}

let done = false;

/** Register the cpu-delegating gradient kernels for the wasm backend (once; needs the cpu backend registered). */
export function registerWasmGradientKernels(): void {
  if (done) return;
  done = true;
  for (const kernelName of CPU_DELEGATED_KERNELS) {
    const cpuKernel = tf.getKernel(kernelName, 'cpu');
    if (!cpuKernel || tf.getKernel(kernelName, 'wasm')) continue;
    tf.registerKernel({
      kernelName,
      backendName: 'wasm',
      kernelFunc: ({ inputs, attrs, backend }) => {
        const wasm = backend as unknown as WasmBackend;
        const cpu = tf.engine().findBackend('cpu') as unknown as Backend | null;
        if (!cpu) throw new Error(`${kernelName} on wasm runs tfjs' cpu kernel, but the cpu backend is not available`);
        const cpuInputs: Record<string, tf.TensorInfo> = {};
        try {
          for (const [name, t] of Object.entries(inputs as Record<string, tf.TensorInfo>)) {
            cpuInputs[name] = { dataId: cpu.write(wasm.readSync(t.dataId), t.shape, t.dtype), shape: t.shape, dtype: t.dtype };
          }
          const out = cpuKernel.kernelFunc({ inputs: cpuInputs, attrs, backend: cpu as never }) as tf.TensorInfo | tf.TensorInfo[];
          const list = Array.isArray(out) ? out : [out];
          const results = list.map((o) => {
            const r = wasm.makeOutput(o.shape, o.dtype, undefined, cpu.readSync(o.dataId));
            cpu.disposeData(o.dataId);
            return r;
          });
          return Array.isArray(out) ? results : results[0];
        } finally {
          for (const t of Object.values(cpuInputs)) cpu.disposeData(t.dataId);
        }
      },
    });
  }
}

/**
 * A user-side implementation of hls4ml's GarNet layer (caloGraphNN), written for the corpus test to
 * show `registerCustomLayer` at work: the importer has no GarNet; the test supplies one, as a user
 * would. Semantics follow hls4ml contrib/garnet.py (simplified=True, input_format 'xn').
 */
import * as tf from '@tensorflow/tfjs-core';
import { initializers, layers } from '@tensorflow/tfjs-layers';
import type { LayerSpec } from '../../src/spec/types.ts';

type V = { read(): tf.Tensor };
type Shape = (number | null)[];

export class GarNet extends layers.Layer {
  static className = 'TestGarNet';
  private w: Record<string, V> = {};
  constructor(readonly c: { name: string; nAggregators: number; nFilters: number; nPropagate: number; collapse: string | null }) {
    super({ name: c.name });
  }
  override build(inputShape: Shape | Shape[]): void {
    const f = (inputShape as Shape[])[0][2] as number;
    const add = (n: string, s: number[]) => { this.w[n] = this.addWeight(n, s, 'float32', initializers.zeros()) as unknown as V; };
    add('FLR_kernel', [f, this.c.nPropagate]); add('FLR_bias', [this.c.nPropagate]);
    add('S_kernel', [f, this.c.nAggregators]); add('S_bias', [this.c.nAggregators]);
    add('Fout_kernel', [this.c.nAggregators * this.c.nPropagate, this.c.nFilters]); add('Fout_bias', [this.c.nFilters]);
    this.built = true;
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = (inputShape as Shape[])[0];
    return this.c.collapse ? [s[0], this.c.nFilters] : [s[0], s[1], this.c.nFilters];
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [data, n] = inputs as tf.Tensor[];
      const [B, Vn] = data.shape;
      const dense = (x: tf.Tensor, k: string) => tf.add(tf.matMul(tf.reshape(x, [-1, x.shape[2]!]), this.w[`${k}_kernel`].read() as tf.Tensor2D), this.w[`${k}_bias`].read());
      const mask = tf.expandDims(tf.cast(tf.less(tf.reshape(tf.range(0, Vn), [1, Vn]), tf.cast(tf.reshape(n, [B, 1]), 'float32')), 'float32'), 2); // (B,V,1)
      const features = tf.reshape(dense(data, 'FLR'), [B, Vn, this.c.nPropagate]);
      const distance = tf.reshape(dense(data, 'S'), [B, Vn, this.c.nAggregators]);
      const ew = tf.mul(mask, tf.exp(tf.neg(tf.square(distance)))); // (B,V,S)
      // vertices → aggregators: mean over V of ew[b,v,s]·f[b,v,p]
      const agg = tf.div(tf.matMul(ew, features, true, false), Vn); // (B,S,P)
      // aggregators → vertices: out[b,v,s,p] = ew[b,v,s]·agg[b,s,p]
      const upd = tf.reshape(tf.mul(tf.expandDims(ew, 3), tf.expandDims(agg, 1)), [B, Vn, -1]);
      const out = tf.mul(mask, tf.reshape(dense(upd, 'Fout'), [B, Vn, this.c.nFilters]));
      if (this.c.collapse === 'mean') return tf.mean(out, 1);
      if (this.c.collapse === 'sum') return tf.sum(out, 1);
      if (this.c.collapse === 'max') return tf.max(out, 1);
      return out;
    });
  }
}

export function garnetFactory(config: Record<string, unknown>, layer: LayerSpec): layers.Layer {
  if (config.simplified !== true || (config.output_activation !== null && config.output_activation !== 'linear')) {
    throw new Error('this test GarNet implements simplified=True with a linear output only');
  }
  return new GarNet({ name: layer.name, nAggregators: config.n_aggregators as number, nFilters: config.n_filters as number, nPropagate: config.n_propagate as number, collapse: (config.collapse as string | null) ?? null });
}

/** Stored weights by name (FLR/S/Fout kernel+bias), in the order GarNet.build creates them. */
export function garnetWeights(weights: tf.Tensor[], layer: LayerSpec): tf.Tensor[] {
  const order = ['FLR_kernel', 'FLR_bias', 'S_kernel', 'S_bias', 'Fout_kernel', 'Fout_bias'];
  return order.map((o) => {
    const i = layer.weights.findIndex((w) => new RegExp(`(^|/)${o}(:0)?$`).test(w.name));
    if (i < 0) throw new Error(`GarNet weight ${o} not found`);
    return weights[i];
  });
}

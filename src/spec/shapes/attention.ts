/** Attention layers: Attention, AdditiveAttention, MultiHeadAttention, GroupedQueryAttention. */
import type { Shape } from '../types.ts';
import { allKnown, bool, cfgOf, known, n, num, str, unwrapTuple, w, type Registry, type WeightShape } from './util.ts';

/** Dot-product attention: query (b, Tq, d) with value (b, Tv, dv) → (b, Tq, dv). */
function attendOutput(inputs: Shape[]): Shape[] | undefined {
  const [q, v] = inputs;
  if (!q || !v) return undefined;
  return [[...q.slice(0, -1), v[v.length - 1]]];
}

/** MHA inputs: query, value[, key]. Output (…query dims, output_shape or query's last dim). */
function mhaOutput(cfg: Record<string, unknown>, inputs: Shape[]): Shape[] | undefined {
  const q = inputs[0];
  if (!q || inputs.length < 2) return undefined;
  const os = unwrapTuple(cfg.output_shape);
  if (typeof os === 'number') return [[...q.slice(0, -1), os]];
  if (Array.isArray(os)) return [[...q.slice(0, -1), ...(os as Shape)]];
  return [q];
}

export const attentionRules: Registry = {
  Attention: {
    output: (_l, ins) => attendOutput(ins),
    weights: (l) => {
      const c = cfgOf(l), ws: WeightShape[] = [];
      if (bool(c, 'use_scale', false)) ws.push(w('scale', []));
      if (str(c, 'score_mode', 'dot') === 'concat') ws.push(w('concat_score_weight', []));
      return ws;
    },
  },
  AdditiveAttention: {
    output: (_l, ins) => attendOutput(ins),
    weights: (l, [q]) => {
      if (!bool(cfgOf(l), 'use_scale', true)) return [];
      const d = n(q?.[q.length - 1]);
      return known(d) ? [w('scale', [d])] : undefined;
    },
  },
  MultiHeadAttention: {
    output: (l, ins) => mhaOutput(cfgOf(l), ins),
    weights: (l, ins) => {
      const c = cfgOf(l);
      const [q, v] = ins;
      const k = ins[2] ?? v;
      const h = num(c, 'num_heads', NaN), dk = num(c, 'key_dim', NaN);
      const dv = c.value_dim == null ? dk : num(c, 'value_dim', NaN);
      const qd = q?.[q.length - 1], kd = k?.[k.length - 1], vd = v?.[v.length - 1];
      const os = unwrapTuple(c.output_shape);
      const out = typeof os === 'number' ? [os] : Array.isArray(os) ? (os as number[]) : [qd];
      if (!known(h, dk, dv, qd, kd, vd) || !allKnown(out)) return undefined;
      const [Q, K, V] = [n(qd), n(kd), n(vd)];
      const bias = bool(c, 'use_bias', true);
      const dense = (kernel: number[], b: number[]) => [w('kernel', kernel, 'kernel_initializer'), ...(bias ? [w('bias', b, 'bias_initializer')] : [])];
      return [
        ...dense([Q, h, dk], [h, dk]),
        ...dense([K, h, dk], [h, dk]),
        ...dense([V, h, dv], [h, dv]),
        ...dense([h, dv, ...out], out),
      ];
    },
  },
  GroupedQueryAttention: {
    output: (_l, ins) => (ins[0] ? [ins[0]] : undefined),
    weights: (l, ins) => {
      const c = cfgOf(l);
      const [q, v] = ins;
      const k = ins[2] ?? v;
      const h = num(c, 'num_query_heads', NaN), hkv = num(c, 'num_key_value_heads', NaN), d = num(c, 'head_dim', NaN);
      const qd = q?.[q.length - 1], kd = k?.[k.length - 1], vd = v?.[v.length - 1];
      if (!known(h, hkv, d, qd, kd, vd)) return undefined;
      const [Q, K, V] = [n(qd), n(kd), n(vd)];
      const bias = bool(c, 'use_bias', true);
      const dense = (kernel: number[], b: number[]) => [w('kernel', kernel, 'kernel_initializer'), ...(bias ? [w('bias', b, 'bias_initializer')] : [])];
      // Sub-layers in creation order: query, key, [gate], value, output.
      const gate = bool(c, 'use_gate', false) ? dense([Q, h, d], [h, d]) : [];
      return [...dense([Q, h, d], [h, d]), ...dense([K, hkv, d], [hkv, d]), ...gate, ...dense([V, hkv, d], [hkv, d]), ...dense([h, d, Q], [Q])];
    },
  },
};

/**
 * Recurrent layers: SimpleRNN/LSTM/GRU (+ CuDNN variants, generic RNN with a built-in cell), ConvLSTM1D–3D,
 * and the wrappers Bidirectional and TimeDistributed.
 * Keras 1 stored LSTM/GRU/ConvLSTM2D per gate (12 / 9 tensors, LSTM gate order i, c, f, o) unless
 * consume_less='gpu' (implementation 2); formats.md §2.3.
 */
import type { LayerSpec, Shape } from '../types.ts';
import {
  bool, cfgOf, convOutLen, n, dataFormat, known, num, padding, tuple, w, wrappedLayers,
  type Cfg, type LayerRule, type Registry, type ShapeContext, type WeightShape,
} from './util.ts';

type Kind = 'simple' | 'lstm' | 'gru' | 'cudnnlstm' | 'cudnngru';
const GATES: Record<Kind, number> = { simple: 1, lstm: 4, gru: 3, cudnnlstm: 4, cudnngru: 3 };
const STATES: Record<Kind, number> = { simple: 1, lstm: 2, gru: 1, cudnnlstm: 2, cudnngru: 1 };

/** Keras 1 per-gate storage: consume_less other than 'gpu' (normalized: implementation ≠ 2). */
function keras1PerGate(layer: LayerSpec): boolean {
  const cfg = cfgOf(layer);
  const oc = layer.originalConfig as Cfg | null | undefined;
  const orig = (oc && typeof oc === 'object' && oc.config && typeof oc.config === 'object' ? oc.config : oc) as Cfg | undefined;
  const consume = cfg.consume_less ?? orig?.consume_less;
  if (typeof consume === 'string') return consume !== 'gpu';
  return num(cfg, 'implementation', 0) !== 2;
}

function rnnOutput(kind: Kind) {
  return (l: LayerSpec, [x]: Shape[]): Shape[] | undefined => {
    const cfg = cfgOf(l), u = num(cfg, 'units', num(cfg, 'output_dim', NaN));
    if (!x || x.length !== 3 || !known(u)) return undefined;
    const main: Shape = bool(cfg, 'return_sequences', false) ? [x[0], x[1], u] : [x[0], u];
    const out = [main];
    if (bool(cfg, 'return_state', false)) for (let i = 0; i < STATES[kind]; i++) out.push([x[0], u]);
    return out;
  };
}

function rnnWeights(kind: Kind) {
  return (l: LayerSpec, [x]: Shape[], ctx: ShapeContext): WeightShape[] | undefined => {
    const cfg = cfgOf(l), u = num(cfg, 'units', num(cfg, 'output_dim', NaN)), fd = x?.[2];
    if (!x || x.length !== 3 || !known(u, fd)) return undefined;
    const f = n(fd);
    const g = GATES[kind];
    if (ctx.kerasMajor === 1 && (kind === 'simple' || !keras1PerGate(l))) {
      return [w('W', [f, g * u], 'kernel_initializer'), w('U', [u, g * u], 'recurrent_initializer'), w('b', [g * u], 'bias_initializer')];
    }
    if (ctx.kerasMajor === 1) {
      const order = kind === 'gru' ? ['z', 'r', 'h'] : ['i', 'c', 'f', 'o'];
      return order.flatMap((gate) => [
        w(`W_${gate}`, [f, u], 'kernel_initializer'), w(`U_${gate}`, [u, u], 'recurrent_initializer'), w(`b_${gate}`, [u], 'bias_initializer'),
      ]);
    }
    const ws = [w('kernel', [f, g * u], 'kernel_initializer'), w('recurrent_kernel', [u, g * u], 'recurrent_initializer')];
    if (kind === 'cudnnlstm' || kind === 'cudnngru') ws.push(w('bias', [2 * g * u], 'bias_initializer'));
    else if (bool(cfg, 'use_bias', true)) {
      ws.push(w('bias', kind === 'gru' && bool(cfg, 'reset_after', false) ? [2, g * u] : [g * u], 'bias_initializer'));
    }
    return ws;
  };
}

const rnn = (kind: Kind): LayerRule => ({ output: rnnOutput(kind), weights: rnnWeights(kind) });

function convLstmGeom(cfg: Cfg, x: Shape | undefined, nd: number) {
  if (!x || x.length !== nd + 3) return undefined;
  const df = dataFormat(cfg);
  const batch = x[0], time = x[1];
  const frame = x.slice(2);
  const inCh = df === 'channels_first' ? frame[0] : frame[nd];
  const spatial = df === 'channels_first' ? frame.slice(1) : frame.slice(0, nd);
  const k = tuple(cfg.kernel_size, nd, NaN), s = tuple(cfg.strides, nd, 1), d = tuple(cfg.dilation_rate, nd, 1);
  const f = num(cfg, 'filters', num(cfg, 'nb_filter', NaN));
  if (!k || !s || !d || !known(...k, f)) return undefined;
  const out = spatial.map((len, i) => convOutLen(len, k[i], padding(cfg), s[i], d[i]));
  if (out.some((v) => v === undefined)) return undefined;
  const outFrame: Shape = df === 'channels_first' ? [f, ...(out as Shape)] : [...(out as Shape), f];
  return { batch, time, inCh, k, f, outFrame, df };
}

function convLstm(nd: number): LayerRule {
  return {
    output: (l, [x]) => {
      const cfg = cfgOf(l), g = convLstmGeom(cfg, x, nd);
      if (!g) return undefined;
      const main: Shape = bool(cfg, 'return_sequences', false) ? [g.batch, g.time, ...g.outFrame] : [g.batch, ...g.outFrame];
      const out = [main];
      if (bool(cfg, 'return_state', false)) out.push([g.batch, ...g.outFrame], [g.batch, ...g.outFrame]);
      return out;
    },
    weights: (l, [x], ctx) => {
      const cfg = cfgOf(l), g = convLstmGeom(cfg, x, nd);
      if (!g || !known(g.inCh)) return undefined;
      const { k, f } = g, inCh = n(g.inCh);
      if (ctx.kerasMajor === 1) {
        const th = g.df === 'channels_first';
        return ['i', 'c', 'f', 'o'].flatMap((gate) => [
          w(`W_${gate}`, th ? [f, inCh, ...k] : [...k, inCh, f], 'kernel_initializer'),
          w(`U_${gate}`, th ? [f, f, ...k] : [...k, f, f], 'recurrent_initializer'),
          w(`b_${gate}`, [f], 'bias_initializer'),
        ]);
      }
      const ws = [w('kernel', [...k, inCh, 4 * f], 'kernel_initializer'), w('recurrent_kernel', [...k, f, 4 * f], 'recurrent_initializer')];
      if (bool(cfg, 'use_bias', true)) ws.push(w('bias', [4 * f], 'bias_initializer'));
      return ws;
    },
  };
}

const CELL_KIND: Record<string, Kind> = { SimpleRNNCell: 'simple', LSTMCell: 'lstm', GRUCell: 'gru' };

/** Generic `RNN(cell)` with one built-in cell: the cell config plus the RNN's return flags. */
function cellAsLayer(l: LayerSpec): { kind: Kind; layer: LayerSpec } | undefined {
  const cfg = cfgOf(l);
  const cell = cfg.cell as Cfg | undefined;
  if (!cell || typeof cell !== 'object' || typeof cell.class_name !== 'string') return undefined;
  const kind = CELL_KIND[cell.class_name];
  if (!kind) return undefined;
  const merged = { ...(cell.config as Cfg), return_sequences: cfg.return_sequences, return_state: cfg.return_state };
  return { kind, layer: { ...l, config: merged } };
}

/** RNN(StackedRNNCells([...])): cells in order, each fed the previous one's units; states of all cells returned. */
function stackedCells(l: LayerSpec): { kind: Kind; config: Cfg }[] | undefined {
  const cell = cfgOf(l).cell as Cfg | undefined;
  if (!cell || cell.class_name !== 'StackedRNNCells') return undefined;
  const cells = (cell.config as Cfg | undefined)?.cells;
  if (!Array.isArray(cells) || cells.length === 0) return undefined;
  const out: { kind: Kind; config: Cfg }[] = [];
  for (const c of cells as Cfg[]) {
    const kind = c && typeof c.class_name === 'string' ? CELL_KIND[c.class_name] : undefined;
    if (!kind || !c.config || typeof c.config !== 'object') return undefined;
    out.push({ kind, config: c.config as Cfg });
  }
  return out;
}

function stackedOutput(l: LayerSpec, x: Shape | undefined): Shape[] | undefined {
  const cells = stackedCells(l), cfg = cfgOf(l);
  if (!cells || !x || x.length !== 3) return undefined;
  const units = cells.map((c) => num(c.config, 'units', NaN));
  if (!known(...units)) return undefined;
  const last = units[units.length - 1];
  const out: Shape[] = [bool(cfg, 'return_sequences', false) ? [x[0], x[1], last] : [x[0], last]];
  if (bool(cfg, 'return_state', false)) cells.forEach((c, i) => { for (let k = 0; k < STATES[c.kind]; k++) out.push([x[0], units[i]]); });
  return out;
}

function stackedWeights(l: LayerSpec, x: Shape | undefined, ctx: ShapeContext): WeightShape[] | undefined {
  const cells = stackedCells(l);
  if (!cells || !x || x.length !== 3) return undefined;
  let feat: number | null = x[2];
  const ws: WeightShape[] = [];
  for (const c of cells) {
    const cw = rnnWeights(c.kind)({ ...l, config: c.config }, [[x[0], x[1], feat]], ctx);
    if (!cw) return undefined;
    ws.push(...cw);
    feat = num(c.config, 'units', NaN);
  }
  return ws;
}

export const recurrentRules: Registry = {
  SimpleRNN: rnn('simple'), LSTM: rnn('lstm'), GRU: rnn('gru'),
  CuDNNLSTM: rnn('cudnnlstm'), CuDNNGRU: rnn('cudnngru'),
  ConvLSTM1D: convLstm(1), ConvLSTM2D: convLstm(2), ConvLSTM3D: convLstm(3),
  RNN: {
    output: (l, ins) => { const c = cellAsLayer(l); return c ? rnnOutput(c.kind)(c.layer, ins) : stackedOutput(l, ins[0]); },
    weights: (l, ins, ctx) => { const c = cellAsLayer(l); return c ? rnnWeights(c.kind)(c.layer, ins, ctx) : stackedWeights(l, ins[0], ctx); },
  },
};

type Resolver = (layer: LayerSpec) => LayerRule | undefined;

function ruleOutput(rule: LayerRule, layer: LayerSpec, inputs: Shape[], ctx: ShapeContext): Shape[] | undefined {
  return rule.output ? rule.output(layer, inputs, ctx) : inputs.length === 1 ? [inputs[0]] : undefined;
}

/** Bidirectional and TimeDistributed delegate to the rule of the layer they wrap. */
export function makeWrapperRules(resolve: Resolver): Registry {
  const bidi = (l: LayerSpec) => {
    const inner = wrappedLayers(l);
    const fwd = inner[0];
    const bwd = inner[1] ?? inner[0];
    const rf = fwd && resolve(fwd), rb = bwd && resolve(bwd);
    return fwd && rf && rb ? { fwd, bwd, rf, rb } : undefined;
  };
  const td = (l: LayerSpec) => {
    const inner = wrappedLayers(l)[0];
    const rule = inner && resolve(inner);
    return inner && rule ? { inner, rule } : undefined;
  };
  return {
    Bidirectional: {
      output: (l, ins, ctx) => {
        const b = bidi(l);
        if (!b) return undefined;
        const fo = ruleOutput(b.rf, b.fwd, ins, ctx), bo = ruleOutput(b.rb, b.bwd, ins, ctx);
        if (!fo || !bo) return undefined;
        const states = [...fo.slice(1), ...bo.slice(1)];
        const mode = cfgOf(l).merge_mode === undefined ? 'concat' : cfgOf(l).merge_mode;
        if (mode === null) return [fo[0], bo[0], ...states];
        let main: Shape;
        if (mode === 'concat') {
          const a = fo[0], c = bo[0];
          const last = a[a.length - 1], lastB = c[c.length - 1];
          main = [...a.slice(0, -1), last === null || lastB === null ? null : last + lastB];
        } else if (mode === 'sum' || mode === 'mul' || mode === 'ave') main = fo[0];
        else return undefined;
        return [main, ...states];
      },
      weights: (l, ins, ctx) => {
        const b = bidi(l);
        if (!b) return undefined;
        const fw = b.rf.weights ? b.rf.weights(b.fwd, ins, ctx) : [];
        const bw = b.rb.weights ? b.rb.weights(b.bwd, ins, ctx) : [];
        return fw && bw ? [...fw, ...bw] : undefined;
      },
    },
    TimeDistributed: {
      output: (l, [x], ctx) => {
        const t = td(l);
        if (!t || !x || x.length < 3) return undefined;
        const out = ruleOutput(t.rule, t.inner, [[x[0], ...x.slice(2)]], ctx);
        return out?.map((s) => [s[0], x[1], ...s.slice(1)]);
      },
      weights: (l, [x], ctx) => {
        const t = td(l);
        if (!t || !x || x.length < 3) return undefined;
        return t.rule.weights ? t.rule.weights(t.inner, [[x[0], ...x.slice(2)]], ctx) : [];
      },
    },
  };
}

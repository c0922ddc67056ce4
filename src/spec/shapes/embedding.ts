/** Embedding: (batch, …) ints → (batch, …, output_dim); one (input_dim, output_dim) table. */
import { cfgOf, known, num, w, type Registry } from './util.ts';

export const embeddingRules: Registry = {
  Embedding: {
    output: (l, [x]) => {
      const c = cfgOf(l), d = num(c, 'output_dim', NaN);
      if (!x || !known(d)) return undefined;
      return [[...x, d]];
    },
    weights: (l, _in, ctx) => {
      const c = cfgOf(l), n = num(c, 'input_dim', NaN), d = num(c, 'output_dim', NaN);
      if (!known(n, d)) return undefined;
      return [w(ctx.kerasMajor === 1 ? 'W' : 'embeddings', [n, d], 'embeddings_initializer')];
    },
  },
};

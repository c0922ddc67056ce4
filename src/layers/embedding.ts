/** Embedding (integer ids → vectors; `mask_zero` masks propagate to the layers that support them). */
import { layers } from '@tensorflow/tfjs-layers';
import { registerBuilder } from './registry.ts';
import { activityRegularizer, baseArgs, Cfg, clean, tfConstraint, tfRegularizer } from './common.ts';

registerBuilder({
  classNames: ['Embedding'],
  create(layer, ctx) {
    const c = new Cfg(layer, ctx);
    const len = c.raw('input_length');
    return layers.embedding(clean({
      ...baseArgs(layer),
      inputDim: c.int('input_dim'),
      outputDim: c.int('output_dim'),
      maskZero: c.bool('mask_zero', false),
      inputLength: typeof len === 'number' ? len : Array.isArray(len) ? (len as number[]) : undefined,
      embeddingsInitializer: 'zeros',
      embeddingsRegularizer: tfRegularizer(c.c.embeddings_regularizer, ctx, layer.name),
      embeddingsConstraint: tfConstraint(c.c.embeddings_constraint, ctx, layer.name),
      activityRegularizer: activityRegularizer(c),
    }) as never);
  },
});

"""Generates the two small bench models of bench/predict.ts with real Keras 3 (reset_after GRU and
multi-head self-attention, which the shared corpus lacks). Seeded, so reruns give the same files.

Run: KERAS_BACKEND=jax /tmp/kv/bin/python bench/models/make_models.py
"""
import os

os.environ.setdefault('KERAS_BACKEND', 'jax')
import keras
from keras import layers

here = os.path.dirname(os.path.abspath(__file__))
keras.utils.set_random_seed(5)

# GRU: Keras 3 default reset_after=True (two bias rows), which tfjs-layers' GRU cannot express
x = keras.Input((50, 32), name='gru_input')
h = layers.GRU(64, return_sequences=True, name='gru_1')(x)
h = layers.GRU(64, name='gru_2')(h)
y = layers.Dense(10, name='dense')(h)
gru = keras.Model(x, y, name='gru2')
# non-zero biases so a wrong bias split would show in the output check
for l in (gru.get_layer('gru_1'), gru.get_layer('gru_2')):
    k, r, b = l.get_weights()
    l.set_weights([k, r, keras.random.normal(b.shape, stddev=0.1, seed=1).__array__()])
gru.save(os.path.join(here, 'gru2.keras'))

# Self-attention block: MHA(4 heads × 16) + residual + LayerNorm → mean over time → Dense
x = keras.Input((32, 64), name='attn_input')
a = layers.MultiHeadAttention(num_heads=4, key_dim=16, name='mha')(x, x)
h = layers.Add(name='add')([x, a])
h = layers.LayerNormalization(name='ln')(h)
h = layers.GlobalAveragePooling1D(name='gap')(h)
y = layers.Dense(10, name='dense')(h)
attn = keras.Model(x, y, name='attn')
mha = attn.get_layer('mha')
mha.set_weights([w + keras.random.normal(w.shape, stddev=0.05, seed=i).__array__() if w.ndim <= 2 else w for i, w in enumerate(mha.get_weights())])
attn.save(os.path.join(here, 'attn.keras'))
print('wrote gru2.keras, attn.keras')

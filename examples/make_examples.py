"""Regenerates the example models shipped in examples/ (run by hand: KERAS_BACKEND=jax python make_examples.py).
A small MNIST-shaped MLP and a small CNN, with seeded random weights, saved as legacy .h5 and .keras."""
import os
os.environ.setdefault("KERAS_BACKEND", "jax")
import numpy as np
import keras

keras.utils.set_random_seed(7)
mlp = keras.Sequential([
    keras.Input((784,), name="pixels"),
    keras.layers.Dense(64, activation="relu", name="hidden"),
    keras.layers.Dropout(0.2, name="dropout"),
    keras.layers.Dense(10, activation="softmax", name="probs"),
], name="mnist_mlp")
mlp.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
mlp.save("mnist_mlp.h5")
mlp.save("mnist_mlp.keras")

inp = keras.Input((28, 28, 1), name="image")
x = keras.layers.Conv2D(8, 3, activation="relu", name="conv")(inp)
x = keras.layers.BatchNormalization(name="bn")(x)
x = keras.layers.MaxPooling2D(name="pool")(x)
x = keras.layers.Flatten(name="flatten")(x)
out = keras.layers.Dense(10, activation="softmax", name="probs")(x)
cnn = keras.Model(inp, out, name="small_cnn")
cnn.save("small_cnn.keras")
x = np.random.default_rng(0).random((2, 28, 28, 1), dtype=np.float32)
np.save("small_cnn_input.npy", x)
np.save("small_cnn_keras_prediction.npy", cnn.predict(x, verbose=0))

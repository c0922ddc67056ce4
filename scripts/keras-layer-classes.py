"""Writes scripts/keras-3.15-layer-classes.json: every public keras.layers class of the installed Keras
(name -> the class's own name, so aliases such as AvgPool2D -> AveragePooling2D are visible).
Used by scripts/gen-layer-docs.ts to list the Keras 3 layer classes that have no builder.
Run: KERAS_BACKEND=jax /tmp/kv/bin/python scripts/keras-layer-classes.py"""
import inspect
import json
import os

import keras

names = {n: o.__name__ for n, o in sorted(vars(keras.layers).items())
         if inspect.isclass(o) and issubclass(o, keras.layers.Layer)}
out = {"keras_version": keras.__version__, "classes": names}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "keras-3.15-layer-classes.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1, sort_keys=True)
    f.write("\n")
print(f"{len(names)} classes -> {path}")

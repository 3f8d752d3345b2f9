"""Model, data and training shared by the ServerApp and the ClientApp.

The partition and the training step are the native Python trainer's (e2e/trainers/mnist-py),
imported, not copied: a cluster trains on exactly the digits it would train on with
`framework: native`. The model is the same 784-H-10 MLP in PyTorch nn.Linear layout, so the
native evaluation (mnist-ts `FL_MODE=evaluate`) scores the final model unchanged.
"""
import os
import sys

import numpy as np

_HERE = os.path.dirname(os.path.abspath(__file__))
# The image puts mnist-py on PYTHONPATH; from a source checkout it sits beside this app.
for _p in (os.path.join(_HERE, "..", "..", "mnist-py"), "/opt/mnist-py"):
    if os.path.isfile(os.path.join(_p, "mnist_data.py")) and _p not in sys.path:
        sys.path.append(_p)

import mnist_data  # noqa: E402
import safetensors_np  # noqa: E402
from trainer import train  # noqa: E402  (the native trainer's SGD step)

NAMES = ("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias")


def init_model(hidden, seed):
    """He-initialised weights, zero biases, deterministic in `seed`."""
    rng = np.random.default_rng(seed)
    return {
        "fc1.weight": (rng.standard_normal((hidden, mnist_data.PIXELS)) * np.sqrt(2 / mnist_data.PIXELS)).astype(np.float32),
        "fc1.bias": np.zeros(hidden, np.float32),
        "fc2.weight": (rng.standard_normal((mnist_data.DIGITS, hidden)) * np.sqrt(2 / hidden)).astype(np.float32),
        "fc2.bias": np.zeros(mnist_data.DIGITS, np.float32),
    }


def to_safetensors(tensors, metadata=None):
    header, offset = {}, 0
    for n in NAMES:
        size = tensors[n].size * 4
        header[n] = {"dtype": "F32", "shape": list(tensors[n].shape), "data_offsets": [offset, offset + size]}
        offset += size
    return safetensors_np.dump(tensors, header, metadata)


_digits = None


def local_data(location, limit=None):
    """The training examples a data location selects (the native trainers' partition)."""
    global _digits
    if _digits is None:
        _digits = mnist_data.load_digits(mnist_data.digits_dir(os.environ.get("FL_DATA_DIR")))
    return mnist_data.training_set(location, _digits, limit)


def local_train(tensors, location, round_, epochs, lr, batch, limit=None):
    x, y = local_data(location, limit)
    if len(x) == 0:
        raise RuntimeError(f"data location {location!r} selects no examples")
    seed = (mnist_data.fnv1a32(location) ^ int(round_)) & 0xFFFFFFFF
    loss, acc = train(tensors, x, y, epochs, lr, batch, seed)
    return loss, acc, len(x)

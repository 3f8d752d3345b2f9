"""Read and write safetensors files with numpy alone (F32 and F16).

Layout: 8-byte little-endian header length N, N bytes of JSON header
({"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}}),
then the raw little-endian tensor bytes; offsets are relative to the data section.
"""
import json
import struct

import numpy as np

DTYPES = {"F32": np.dtype("<f4"), "F16": np.dtype("<f2")}


def read_header(buf):
    """(header dict, data start) of a safetensors byte string."""
    (n,) = struct.unpack("<Q", buf[:8])
    return json.loads(buf[8 : 8 + n].decode("utf-8")), 8 + n


def load(buf):
    """Tensors as float32 arrays, in data-offset order; plus the header for writing back."""
    header, start = read_header(buf)
    tensors = {}
    for name, info in sorted(
        ((k, v) for k, v in header.items() if k != "__metadata__"), key=lambda kv: kv[1]["data_offsets"][0]
    ):
        begin, end = info["data_offsets"]
        arr = np.frombuffer(buf, dtype=DTYPES[info["dtype"]], count=(end - begin) // DTYPES[info["dtype"]].itemsize,
                            offset=start + begin)
        tensors[name] = arr.reshape(info["shape"]).astype(np.float32)
    return tensors, header


def dump(tensors, like_header, metadata=None):
    """Serialise `tensors` (name -> array) with the exact layout (order, dtype, offsets) of
    `like_header`, the global model's header: the agent rejects any other layout."""
    header = {}
    parts = []
    offset = 0
    for name, info in sorted(
        ((k, v) for k, v in like_header.items() if k != "__metadata__"), key=lambda kv: kv[1]["data_offsets"][0]
    ):
        arr = np.ascontiguousarray(tensors[name], dtype=DTYPES[info["dtype"]])
        if list(arr.shape) != list(info["shape"]):
            raise ValueError(f"tensor {name}: shape {list(arr.shape)}, the global model has {info['shape']}")
        data = arr.tobytes()
        header[name] = {"dtype": info["dtype"], "shape": list(arr.shape), "data_offsets": [offset, offset + len(data)]}
        parts.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * ((8 - (8 + len(raw)) % 8) % 8)
    return struct.pack("<Q", len(raw)) + raw + b"".join(parts)

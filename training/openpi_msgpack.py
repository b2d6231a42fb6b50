"""
openpi's wire format: msgpack with NumPy arrays as maps whose keys are bytes
(b"__ndarray__", b"data", b"dtype", b"shape"; scalars b"__npgeneric__", b"data", b"dtype"), as
openpi_client.msgpack_numpy writes and reads them. Written for Simloop from that description
(Debian's python3-msgpack and python3-numpy); used by serve_policy.py and by the tests that check
Simloop's TypeScript encoder (src/engine/policy/openpi.ts) against Python's msgpack.
"""
import msgpack
import numpy as np


def pack_default(obj):
    if isinstance(obj, (np.ndarray, np.generic)) and obj.dtype.kind in ('V', 'O', 'c'):
        raise ValueError(f'cannot send an array of dtype {obj.dtype}')
    if isinstance(obj, np.ndarray):
        return {b'__ndarray__': True, b'data': obj.tobytes(), b'dtype': obj.dtype.str, b'shape': obj.shape}
    if isinstance(obj, np.generic):
        return {b'__npgeneric__': True, b'data': obj.item(), b'dtype': obj.dtype.str}
    return obj


def unpack_hook(obj):
    if b'__ndarray__' in obj:
        return np.ndarray(buffer=obj[b'data'], dtype=np.dtype(obj[b'dtype']), shape=obj[b'shape'])
    if b'__npgeneric__' in obj:
        return np.dtype(obj[b'dtype']).type(obj[b'data'])
    return obj


def packb(value):
    return msgpack.packb(value, default=pack_default, use_bin_type=True)


def unpackb(data):
    return msgpack.unpackb(data, object_hook=unpack_hook, raw=False)

"""Writes test/fixtures/openpi/: frames packed by openpi_client's own msgpack_numpy packer, and
fixtures.json saying what each holds, so the studio's TypeScript codec is pinned to bytes made by the
other side's code (test/unit/imagination/remote/msgpackNumpy.test.ts).

    npm run test:deps   # the openpi peer's venv (test/support/requirements-openpi.txt, pinned)
    node_modules/.cache/openpi-peer-venv/bin/python test/support/make_openpi_fixtures.py

The JSON is plain JSON where it can be; the rest is tagged:
  {"$ndarray": {"dtype": "<f4", "shape": [8, 7], "values": [...flat, C order...]}}
  {"$npgeneric": {"dtype": "<i8", "value": 3}}
  {"$bytes": {"hex": "00ff"}}  or  {"$bytes": {"length": n, "step": k}}  (byte i = i*k mod 256)
  {"$str": {"repeat": "ab", "times": n}}
  {"$image": {"height": h, "width": w, "seed": s}}  (uint8 [h, w, 3], value (7y + 13x + 50c + s) mod 256)
  {"$float": "nan" | "inf" | "-inf"},  {"$int": "<decimal>"} (beyond ±2^53)
Floats in the frames are never integral (a JSON/JS number 2.0 is the int 2), so every frame but
decode_only re-encodes byte for byte from the JSON; decode_only holds what the studio reads but never
writes (big-endian arrays, a str-keyed marker map, bytes keys).
"""

import hashlib
import json
import math
import pathlib
import sys

import numpy as np
from openpi_client import msgpack_numpy

OUT = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "openpi"


def pattern_bytes(length: int, step: int) -> bytes:
    return bytes((i * step) % 256 for i in range(length))


def image(height: int, width: int, seed: int) -> np.ndarray:
    y, x, c = np.meshgrid(np.arange(height), np.arange(width), np.arange(3), indexing="ij")
    return ((y * 7 + x * 13 + c * 50 + seed) % 256).astype(np.uint8)


def observation() -> dict:
    """What a client such as openpi's LIBERO/DROID examples sends, plus the other value kinds."""
    return {
        "observation/image": image(16, 20, 3),
        "observation/wrist_image": image(4, 5, 90),
        "observation/state": np.array([0.45, -0.125, 0.3125, 0.9238795, 0.0, 0.3826834, 0.0, 0.039], dtype=np.float32),
        "prompt": "pick up the red cube and place it in the bowl",
        "joints": np.array([0.1, -0.7853981633974483, 0.05, -2.356, 0.02, 1.5707963267948966, 0.7853981633974483]),
        "mask": np.array([True, False, True]),
        "ids": np.array([[1, -2, 300], [70000, -70000, 5]], dtype=np.int32),
        "ticks": np.array([2**40, -(2**40)], dtype=np.int64),
        "episode": np.int64(3),
        "gain": np.float32(0.25),
        "flag": np.bool_(True),
        "raw": b"\x00\x01\xff",
        "note": None,
        "nested": {"level": 1.5, "count": 300, "list": [1, "two", 3.25, False]},
        "zero_d": np.array(0.5, dtype=np.float64),
        "empty": np.zeros((0, 7), dtype=np.float32),
    }


def reply() -> dict:
    """What openpi's Policy.infer + WebsocketPolicyServer answer: actions [H, A], policy and server timing."""
    rng = np.random.default_rng(7)
    actions = rng.normal(0.0, 0.01, size=(8, 7)).astype(np.float32)
    actions[:, 6] = np.linspace(0.0, 1.0, 8, dtype=np.float32)
    actions[0, 6] = 0.125  # no integral float anywhere (see the module docstring)
    actions[7, 6] = 0.875
    return {
        "actions": actions,
        "policy_timing": {"infer_ms": 41.377},
        "server_timing": {"infer_ms": 42.0625, "prev_total_ms": 97.53125},
    }


def metadata() -> dict:
    """The dict the server sends first (openpi: the train config's policy_metadata, often {})."""
    return {"action_horizon": 8, "action_dim": 7, "robot": "franka", "reset_pose": [0.5, -0.25, 1.125], "image_keys": ["observation/image", "observation/wrist_image"]}


def scalars() -> dict:
    """Every msgpack length and int form Python's packer picks, at its boundaries."""
    ints = [0, 127, 128, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**53 - 1, 2**53 + 1, 2**64 - 1,
            -1, -32, -33, -128, -129, -32768, -32769, -(2**31), -(2**31) - 1, -(2**53) + 1, -(2**63)]
    return {
        "ints": ints,
        "floats": [0.1, -2.5e-300, 1.7976931348623157e308, float("nan"), float("inf"), float("-inf"), -0.0],
        "bools": [True, False],
        "str_31": "a" * 31,
        "str_32": "b" * 32,
        "str_255": "c" * 255,
        "str_256": "d" * 256,
        "str_65536": "ef" * 32768,
        "unicode": "Δxyz → ✓ 日本語 🤖",
        "bin_255": pattern_bytes(255, 3),
        "bin_256": pattern_bytes(256, 5),
        "list_15": list(range(15)),
        "list_16": list(range(16)),
        "map_16": {f"k{i:02d}": i for i in range(16)},
        "big_image": image(160, 160, 11),  # 76800 bytes: bin32
        "f64_scalar": np.float64(0.3),  # a Python float subclass: packed as a plain float
        "f32_scalar": np.float32(0.3),
        "u8_scalar": np.uint8(200),
        "u16": np.array([1, 65535], dtype=np.uint16),
        "i8": np.array([-128, 127], dtype=np.int8),
        "u64": np.array([2**64 - 1, 0], dtype=np.uint64),
    }


def decode_only() -> dict:
    """Frames the studio reads but never writes: it packs little-endian arrays and str keys only."""
    return {
        "big_endian": np.array([1.5, -2.25], dtype=">f4"),
        "big_endian_i8": np.array([-3, 2**40], dtype=">i8"),
        # A str-keyed marker is not an array for msgpack_numpy (it checks b"__ndarray__"): it stays a map.
        "str_marker": {"__ndarray__": True, "data": b"\x07", "dtype": "|u1", "shape": [1]},
        # bytes keys of an ordinary map: the studio reads them as UTF-8 str keys.
        "bin_key_map": {b"raw_key": 1},
    }


def describe(value):
    if isinstance(value, np.ndarray) and value.dtype == np.uint8 and value.ndim == 3 and value.shape[2] == 3:
        for seed in range(256):
            if np.array_equal(value, image(value.shape[0], value.shape[1], seed)):
                return {"$image": {"height": value.shape[0], "width": value.shape[1], "seed": seed}}
    if isinstance(value, np.ndarray):
        return {"$ndarray": {"dtype": value.dtype.str, "shape": list(value.shape), "values": [describe_number(v) for v in value.reshape(-1).tolist()]}}
    if isinstance(value, np.generic) and not isinstance(value, (float, int)):
        return {"$npgeneric": {"dtype": value.dtype.str, "value": describe_number(value.item())}}
    if isinstance(value, dict):
        return {key.decode() if isinstance(key, bytes) else key: describe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [describe(item) for item in value]
    if isinstance(value, bytes):
        for step in range(1, 256):
            if len(value) > 64 and value == pattern_bytes(len(value), step):
                return {"$bytes": {"length": len(value), "step": step}}
        return {"$bytes": {"hex": value.hex()}}
    if isinstance(value, str):
        if len(value) > 64 and value == value[:2] * (len(value) // 2):
            return {"$str": {"repeat": value[:2], "times": len(value) // 2}}
        return value
    return describe_number(value)


def describe_number(value):
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return {"$float": "nan"}
        if math.isinf(value):
            return {"$float": "inf" if value > 0 else "-inf"}
        if value == 0.0 and math.copysign(1.0, value) < 0:
            return {"$float": "-0"}
        return value
    if isinstance(value, int) and abs(value) > 2**53:
        return {"$int": str(value)}
    return value


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    frames = {"observation": observation(), "reply": reply(), "metadata": metadata(), "scalars": scalars(), "decode_only": decode_only()}
    index = {"made_by": f"openpi_client.msgpack_numpy.packb (msgpack {__import__('msgpack').version}, numpy {np.__version__})", "frames": {}}
    for name, value in frames.items():
        packed = msgpack_numpy.packb(value)
        (OUT / f"{name}.bin").write_bytes(packed)
        # The frame must read back to the same value with openpi_client's own unpacker.
        again = msgpack_numpy.packb(msgpack_numpy.unpackb(packed))
        assert again == packed, name
        index["frames"][name] = {"file": f"{name}.bin", "bytes": len(packed), "sha256": hashlib.sha256(packed).hexdigest(), "value": describe(value)}
    (OUT / "fixtures.json").write_text(json.dumps(index) + "\n")
    print(f"wrote {', '.join(f'{name}.bin' for name in frames)} and fixtures.json to {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()

"""The data-only codec: what crosses the trust boundary, and what it refuses."""

from __future__ import annotations

import contextlib
import random
import struct

import numpy as np
import pytest

from grader import codec
from grader.errors import CodecError

ROUND_TRIP = [
    None, True, False, 0, -1, 2**63 - 1, -(2**63), 2**200, -(3**150), 1.5, float("inf"),
    complex(1, -2), "", "héllo ∑", b"\x00\xff", [1, [2, [3]]], (1, "a"), {"a": 1, "b": [1.0]},
    [], {}, (),
]


@pytest.mark.parametrize("value", ROUND_TRIP, ids=repr)
def test_plain_values_round_trip(value):
    """Every plain data value decodes to an equal value of the same type."""
    out = codec.decode(codec.encode(value))
    assert out == value
    assert type(out) is type(value)


def test_nan_round_trips_as_nan():
    """NaN survives the trip (and stays NaN)."""
    assert np.isnan(codec.decode(codec.encode(float("nan"))))


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "uint8", "bool", "complex128",
                                   ">f8", "<U5"])
def test_arrays_round_trip_as_plain_writable_arrays(dtype):
    """Arrays keep dtype, shape and values, and come back as plain writable ndarrays."""
    a = np.arange(12).reshape(3, 4).astype(dtype)
    out = codec.decode(codec.encode(a))
    assert type(out) is np.ndarray
    assert out.dtype == a.dtype and out.shape == a.shape
    assert out.flags.writeable
    np.testing.assert_array_equal(out, a)


def test_non_contiguous_and_zero_d_arrays():
    """Views and 0-d arrays encode by value."""
    a = np.arange(20.0).reshape(4, 5)[::2, ::-1]
    np.testing.assert_array_equal(codec.decode(codec.encode(a)), a)
    assert codec.decode(codec.encode(np.array(3.5))).shape == ()


def test_numpy_scalars_become_python_numbers():
    """NumPy scalars travel as the matching Python number."""
    assert codec.decode(codec.encode(np.float32(1.5))) == 1.5
    assert type(codec.decode(codec.encode(np.int64(7)))) is int


def test_ndarray_subclass_is_sent_as_handle_not_data():
    """A subclass of ndarray may lie through its methods, so it is not treated as data."""
    class Lying(np.ndarray):
        pass

    with pytest.raises(CodecError, match="not data"):
        codec.encode(np.zeros(3).view(Lying))


def test_object_arrays_are_refused():
    """Arrays of dtype object could carry arbitrary objects: refused."""
    with pytest.raises(CodecError, match="dtype object"):
        codec.encode(np.array([object()], dtype=object))


def test_non_data_without_handles_is_refused():
    """Without a handle factory an arbitrary object is a clear error."""
    with pytest.raises(CodecError, match="is not data"):
        codec.encode(object())


def test_non_data_becomes_handle_with_factory():
    """With a handle factory an object becomes a handle, which decodes through the callback."""
    payload = codec.encode([object()], to_handle=lambda v: codec.Handle(7, "Thing"))
    assert codec.decode(payload, from_handle=lambda h: ("H", h.id, h.type_name)) == \
        [("H", 7, "Thing")]


def test_dict_with_non_str_key_is_refused():
    """Only str keys: other keys could be objects with hostile hashing."""
    with pytest.raises(CodecError, match="key"):
        codec.encode({1: 2})


@pytest.mark.parametrize("payload,fragment", [
    (b"", "truncated"),
    (b"Z", "unknown tag"),
    (b"s" + struct.pack(">I", 10) + b"abc", "truncated"),
    (b"a" + bytes([3]) + b"|O8" + bytes([1]) + struct.pack(">Q", 1) + struct.pack(">Q", 8)
     + b"\0" * 8, "not allowed"),
    (b"a" + bytes([3]) + b"<f8" + bytes([1]) + struct.pack(">Q", 2) + struct.pack(">Q", 8)
     + b"\0" * 8, "does not match"),
    (b"l" + struct.pack(">I", 2**31) , "truncated"),
    (b"NN", "trailing"),
    (b"h" + struct.pack(">Q", 1) + struct.pack(">I", 1) + b"x", "unexpected handle"),
    (b"I" + struct.pack(">I", 3) + b"1e5", "malformed"),
    (b"s" + struct.pack(">I", 1) + b"\xff", "malformed message .UnicodeDecodeError"),
    (b"d" + struct.pack(">I", 1) + b"s" + struct.pack(">I", 1) + b"\xc3" + b"N",
     "malformed message .UnicodeDecodeError"),
    (b"I" + struct.pack(">I", 1) + b"\xb9", "malformed message .UnicodeDecodeError"),
    (b"a" + bytes([3]) + b"<f1" + bytes([1]) + struct.pack(">Q", 1) + struct.pack(">Q", 1)
     + b"\0", "malformed message .TypeError: data type '<f1' not understood"),
])
def test_malformed_payloads_are_refused(payload, fragment):
    """A hostile peer's malformed bytes give a CodecError, never a crash or an object."""
    with pytest.raises(CodecError, match=fragment):
        codec.decode(payload)


def test_mutated_payloads_only_ever_raise_codec_errors():
    """Thousands of random corruptions (flipped, dropped and inserted bytes) of valid messages:
    each decodes to some value or raises CodecError, never another exception the grader would
    not expect from a reply."""
    rnd = random.Random(20261122)
    values = [{"ok": True, "value": {"a": [1.0, 2, "x\u00e9", (1, 2j, None, True)],
                                     "b": np.ones((2, 3)), "c": 10**30, "d": b"xy"}},
              [np.arange(6, dtype="<i4").reshape(2, 3), np.array(["ab", "c"]), np.array([b"x"])],
              codec.Handle(3, "T\u00ff")]
    seeds = [codec.encode(v) for v in values]
    for _ in range(5000):
        payload = bytearray(rnd.choice(seeds))
        for _ in range(rnd.randint(1, 3)):
            at = rnd.randrange(len(payload))
            roll = rnd.random()
            if roll < 0.6:
                payload[at] = rnd.randrange(256)
            elif roll < 0.8:
                del payload[at]
            else:
                payload.insert(at, rnd.randrange(256))
        with contextlib.suppress(CodecError):
            codec.decode(bytes(payload), from_handle=lambda h: h)


def test_deep_nesting_is_refused_both_ways():
    """Nesting deeper than MAX_DEPTH is refused when encoding and when decoding."""
    deep: list = []
    for _ in range(codec.MAX_DEPTH + 5):
        deep = [deep]
    with pytest.raises(CodecError, match="nested"):
        codec.encode(deep)
    payload = b"l" + struct.pack(">I", 1)
    with pytest.raises(CodecError, match="nested"):
        codec.decode(payload * (codec.MAX_DEPTH + 5) + b"N")


def test_size_cap_applies_while_encoding():
    """A value larger than max_bytes is refused before it is built."""
    with pytest.raises(CodecError, match="larger than"):
        codec.encode(np.zeros(1000), max_bytes=1000)


@pytest.mark.parametrize(("sent", "received"), [
    ("lone \ud800", "lone \\ud800"),
    ({"\udc80key": ["\udfff"]}, {"\\udc80key": ["\\udfff"]}),
])
def test_lone_surrogates_arrive_as_their_escapes(sent, received):
    """A str with lone surrogates (a worker's exception message, dict keys) decodes to valid
    Unicode: each surrogate is the text of its escape, so any writer accepts it."""
    out = codec.decode(codec.encode(sent))
    assert out == received
    codec.encode(out)  # and it crosses again unchanged
    str(out).encode("utf-8")


def test_a_handle_type_name_with_a_lone_surrogate_arrives_escaped():
    """A hostile worker's own frame (its encoder may be replaced) naming a handle's type with a
    lone surrogate: the name arrives escaped."""
    name = "Type\ud800".encode("utf-8", "surrogatepass")
    payload = b"h" + struct.pack(">QI", 3, len(name)) + name
    assert codec.decode(payload, from_handle=lambda h: h.type_name) == "Type\\ud800"


def test_bytes_that_are_not_utf8_even_with_surrogates_are_still_refused():
    """Escaping is for surrogates only: other invalid UTF-8 is a malformed frame, as before."""
    payload = b"s" + struct.pack(">I", 2) + b"\xff\xfe"
    with pytest.raises(CodecError, match="malformed message"):
        codec.decode(payload)

"""The data-only codec spoken between the grader and the worker that runs student code.

Everything that crosses the trust boundary is encoded here and nothing else: None, bool, int, float,
complex, str, bytes, list, tuple, dict with str keys, NumPy arrays of plain numeric dtype, and
opaque handles to objects that stay in the worker. Decoding never calls a constructor chosen by the
sender, never unpickles, never evaluates text: a hostile worker can at worst send wrong *data*.

Wire format: a frame is a 4-byte big-endian length then a tagged payload (see ``_Tag``).
"""

from __future__ import annotations

import functools
import os
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from grader import text as _text
from grader.errors import CodecError

if TYPE_CHECKING:
    import numpy as np

#: Defaults for what one frame may hold; the sandbox passes the assignment's own limits.
MAX_FRAME_BYTES = 256 * 1024 * 1024
MAX_DEPTH = 64
MAX_ITEMS = 1_000_000
MAX_INT_DIGITS = 4300  # CPython's own int/str conversion limit

# Plain numeric and fixed-width string dtypes only: object ("O") and structured ("V") dtypes could
# smuggle arbitrary objects or views.
_DTYPE_RE = re.compile(r"^[<>|=]?([biufc]\d{1,2}|[US]\d{1,9})$")

_U32 = struct.Struct(">I")
_U64 = struct.Struct(">Q")
_I64 = struct.Struct(">q")
_F64 = struct.Struct(">d")
_C128 = struct.Struct(">dd")
_TAG_F64 = struct.Struct(">cd")  # a tag and its value in one pack
_TAG_U32 = struct.Struct(">cI")


class _Tag:
    NONE = b"N"
    TRUE = b"T"
    FALSE = b"F"
    INT = b"i"  # 8-byte signed
    BIGINT = b"I"  # u32 length + ASCII decimal
    FLOAT = b"f"
    COMPLEX = b"c"
    STR = b"s"
    BYTES = b"b"
    LIST = b"l"
    TUPLE = b"t"
    DICT = b"d"
    ARRAY = b"a"
    HANDLE = b"h"


# The tags as the ints a memoryview yields, for the decoder.
_T_NONE, _T_TRUE, _T_FALSE = _Tag.NONE[0], _Tag.TRUE[0], _Tag.FALSE[0]
_T_INT, _T_BIGINT = _Tag.INT[0], _Tag.BIGINT[0]
_T_FLOAT, _T_COMPLEX = _Tag.FLOAT[0], _Tag.COMPLEX[0]
_T_STR, _T_BYTES, _T_LIST, _T_TUPLE = _Tag.STR[0], _Tag.BYTES[0], _Tag.LIST[0], _Tag.TUPLE[0]
_T_DICT, _T_ARRAY, _T_HANDLE = _Tag.DICT[0], _Tag.ARRAY[0], _Tag.HANDLE[0]


@dataclass(frozen=True)
class Handle:
    """Reference to an object that stays in the worker.

    Only the worker assigns ids; the grader can send a handle back as an argument.
    """

    id: int
    """Worker-assigned id, unique within one worker."""
    type_name: str
    """The object's type name as the worker reported it (untrusted, for messages only)."""


def encode(value: Any, *, to_handle: Callable[[Any], Handle] | None = None,
           max_bytes: int = MAX_FRAME_BYTES) -> bytes:
    """Encode ``value`` into one payload (no length prefix).

    ``to_handle`` turns a value that is not data into a ``Handle``; without it such a value is a
    ``CodecError``.
    """
    out = bytearray()
    _Encoder(out, to_handle, max_bytes).put(value, 0)
    return bytes(out)


class _Encoder:
    def __init__(self, out: bytearray, to_handle: Callable[[Any], Handle] | None,
                 max_bytes: int) -> None:
        self.out = out
        self.to_handle = to_handle
        self.max_bytes = max_bytes
        self.items = 0

    def _room(self, n: int) -> None:
        if len(self.out) + n > self.max_bytes:
            raise CodecError(
                f"value is larger than the {self.max_bytes // (1024 * 1024)} MiB limit")

    def _count(self, n: int) -> None:
        # Refuse an oversized container before walking it: walking ten million items to find
        # out costs the submission's own time limit, and then the message names a timeout.
        if self.items + n > MAX_ITEMS:
            raise CodecError(f"value has more than {MAX_ITEMS} items")

    def put(self, v: Any, depth: int) -> None:  # noqa: PLR0912 - one branch per wire type
        if depth > MAX_DEPTH:
            raise CodecError(f"value is nested more than {MAX_DEPTH} levels deep")
        self.items += 1
        if self.items > MAX_ITEMS:
            raise CodecError(f"value has more than {MAX_ITEMS} items")
        out = self.out
        # Exact type checks: a subclass of int/str/ndarray may override methods we call below.
        t = type(v)
        # The commonest wire types first (floats, then str: every dict key), and the plain
        # Python ones before any NumPy type, so that plain data never imports NumPy.
        if t is float:
            out += _TAG_F64.pack(_Tag.FLOAT, v)
        elif t is str:
            b = str.encode(v, "utf-8", "surrogatepass")
            self._room(len(b))
            out += _TAG_U32.pack(_Tag.STR, len(b))
            out += b
        elif v is None:
            out += _Tag.NONE
        elif t is bool:
            out += _Tag.TRUE if v else _Tag.FALSE
        elif t is int:
            self._put_int(v)
        elif t is dict:
            self._count(2 * len(v))
            out += _Tag.DICT + _U32.pack(len(v))
            for key, item in dict.items(v):
                if type(key) is not str:
                    raise CodecError(f"dict key {type(key).__name__!s} is not a str")
                # The key written here (an item like any other; its value checks the depth).
                self.items += 1
                b = str.encode(key, "utf-8", "surrogatepass")
                self._room(len(b))
                out += _TAG_U32.pack(_Tag.STR, len(b))
                out += b
                self.put(item, depth + 1)
        elif t is list or t is tuple:
            self._count(len(v))
            out += (_Tag.LIST if t is list else _Tag.TUPLE) + _U32.pack(len(v))
            for item in list.__iter__(v) if t is list else tuple.__iter__(v):
                self.put(item, depth + 1)
        elif t is bytes or t is bytearray:
            self._room(len(v))
            out += _Tag.BYTES + _U32.pack(len(v)) + bytes(v)
        elif t is complex:
            out += _Tag.COMPLEX + _C128.pack(v.real, v.imag)
        elif t is Handle:
            out += _Tag.HANDLE + _U64.pack(v.id) + _encode_str(v.type_name[:200])
        else:
            self._put_other(v, t, depth)

    def _put_int(self, v: Any) -> None:
        i = int(v)
        if -(2**63) <= i < 2**63:
            self.out += _Tag.INT + _I64.pack(i)
        else:
            digits = int.__repr__(i).encode("ascii")
            if len(digits) > MAX_INT_DIGITS:
                raise CodecError("integer has too many digits")
            self.out += _Tag.BIGINT + _U32.pack(len(digits)) + digits

    def _put_other(self, v: Any, t: type, depth: int) -> None:
        """NumPy scalars and arrays, then handles for what is not data."""
        np = _numpy()
        ints, floats, complexes = _numpy_scalar_types()
        if t is np.bool_:
            self.out += _Tag.TRUE if bool(v) else _Tag.FALSE
        elif t in ints:
            self._put_int(v)
        elif t in floats:
            self.out += _TAG_F64.pack(_Tag.FLOAT, float(v))
        elif t in complexes:
            c = complex(v)
            self.out += _Tag.COMPLEX + _C128.pack(c.real, c.imag)
        elif t is np.ndarray:
            self._put_array(v)
        elif self.to_handle is not None:
            self.put(self.to_handle(v), depth)
        else:
            raise CodecError(f"a {t.__name__} is not data (allowed: numbers, str, bytes, list, "
                             "tuple, dict with str keys, NumPy arrays of numbers)")

    def _put_array(self, a: np.ndarray) -> None:
        dt = a.dtype.str
        if not _DTYPE_RE.match(dt):
            raise CodecError(f"arrays of dtype {a.dtype} are not data; use a numeric dtype")
        if a.ndim > 32:
            raise CodecError("array has more than 32 dimensions")
        nbytes = int(a.nbytes)
        self._room(nbytes + 16 + 8 * a.ndim)
        data = _numpy().ascontiguousarray(a).tobytes()
        dtb = dt.encode("ascii")
        self.out += _Tag.ARRAY + bytes([len(dtb)]) + dtb + bytes([a.ndim])
        for n in a.shape:
            self.out += _U64.pack(n)
        self.out += _U64.pack(len(data)) + data


def _encode_str(s: str) -> bytes:
    b = s.encode("utf-8", "replace")
    return _U32.pack(len(b)) + b


def _numpy() -> Any:
    """NumPy, imported on first need: a grader encodes its workers' configuration (plain data)
    and launches them before it pays for importing NumPy itself."""
    import numpy

    return numpy


@functools.cache
def _numpy_scalar_types() -> tuple[frozenset[type], frozenset[type], frozenset[type]]:
    np = _numpy()
    return (frozenset({np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32,
                       np.uint64}),
            frozenset({np.float16, np.float32, np.float64}),
            frozenset({np.complex64, np.complex128}))


def decode(payload: bytes, *, from_handle: Callable[[Handle], Any] | None = None) -> Any:
    """Decode one payload. Only builds plain data, arrays, and (via ``from_handle``) handles.

    Malformed bytes of any kind (bad lengths, text that is not UTF-8, a dtype NumPy does not
    know) raise ``CodecError``, never anything else. Every str decoded is valid Unicode: a lone
    surrogate arrives as its escape, the text ``\\ud800`` (see ``grader.text.clean``).
    """
    d = _Decoder(memoryview(payload), from_handle)
    try:
        value = d.get(0)
    except (ValueError, TypeError, OverflowError) as exc:  # UnicodeDecodeError is a ValueError
        raise CodecError(f"malformed message ({type(exc).__name__}: {str(exc)[:200]})") from None
    if d.pos != len(payload):
        raise CodecError("trailing bytes after the value")
    return value


class _Decoder:
    # Every value received goes through ``get``: the common cases (floats, and str as every
    # dict key is) are read in place, without a helper call per item.
    def __init__(self, buf: memoryview, from_handle: Callable[[Handle], Any] | None) -> None:
        self.buf = buf
        self.end = len(buf)
        self.pos = 0
        self.items = 0
        self.from_handle = from_handle

    def take(self, n: int) -> memoryview:
        if n < 0 or self.pos + n > self.end:
            raise CodecError("truncated message")
        chunk = self.buf[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def _unpack(self, st: struct.Struct) -> tuple[Any, ...]:
        # unpack_from reads in place: no slice, no copy.
        pos = self.pos
        if pos + st.size > self.end:
            raise CodecError("truncated message")
        self.pos = pos + st.size
        return st.unpack_from(self.buf, pos)

    def u32(self) -> int:
        return int(self._unpack(_U32)[0])

    def u64(self) -> int:
        return int(self._unpack(_U64)[0])

    def str_(self) -> str:
        return self._str_at(self.pos)

    def _str_at(self, pos: int) -> str:
        """The str whose length field starts at ``pos`` (just after its tag)."""
        if pos + 4 > self.end:
            raise CodecError("truncated message")
        start = pos + 4
        stop = start + _U32.unpack_from(self.buf, pos)[0]
        if stop > self.end:
            raise CodecError("truncated message")
        self.pos = stop
        try:
            return str(self.buf[start:stop], "utf-8")
        except UnicodeDecodeError:
            # Lone surrogates (which a Python str may hold, and the sender's encoder passes)
            # become their escape, ``\ud800``: every str the grader receives can be written as
            # UTF-8 (a report, a terminal line). Bytes that are not UTF-8 even with surrogates
            # allowed still raise, and the frame is malformed.
            return _text.clean(str(self.buf[start:stop], "utf-8", "surrogatepass"))

    def get(self, depth: int) -> Any:  # noqa: PLR0911, PLR0912 - one branch per wire type
        if depth > MAX_DEPTH:
            raise CodecError(f"message nested more than {MAX_DEPTH} levels deep")
        self.items += 1
        if self.items > MAX_ITEMS:
            raise CodecError(f"message has more than {MAX_ITEMS} items")
        pos = self.pos
        if pos >= self.end:
            raise CodecError("truncated message")
        tag = self.buf[pos]  # an int: no slice or bytes object per item
        pos += 1
        if tag == _T_FLOAT:
            if pos + 8 > self.end:
                raise CodecError("truncated message")
            self.pos = pos + 8
            return _F64.unpack_from(self.buf, pos)[0]
        if tag == _T_STR:
            return self._str_at(pos)
        self.pos = pos
        if tag == _T_DICT:
            return self._dict(depth)
        if tag == _T_NONE:
            return None
        if tag == _T_TRUE:
            return True
        if tag == _T_FALSE:
            return False
        if tag == _T_INT:
            return self._unpack(_I64)[0]
        if tag == _T_BIGINT:
            n = self.u32()
            if n > MAX_INT_DIGITS + 1:
                raise CodecError("integer has too many digits")
            text = bytes(self.take(n)).decode("ascii")
            if not re.fullmatch(r"-?\d+", text):
                raise CodecError("malformed integer")
            return int(text)
        if tag == _T_COMPLEX:
            re_, im = self._unpack(_C128)
            return complex(re_, im)
        if tag == _T_BYTES:
            return bytes(self.take(self.u32()))
        if tag in (_T_LIST, _T_TUPLE):
            n = self.u32()
            if n > self.end - self.pos:  # every item takes at least one byte
                raise CodecError("truncated message")
            items = [self.get(depth + 1) for _ in range(n)]
            return items if tag == _T_LIST else tuple(items)
        if tag == _T_ARRAY:
            return self._array()
        if tag == _T_HANDLE:
            h = Handle(self.u64(), self.str_())
            if self.from_handle is None:
                raise CodecError("unexpected handle")
            return self.from_handle(h)
        raise CodecError(f"unknown tag {bytes([tag])!r}")

    def _dict(self, depth: int) -> dict[str, Any]:
        n = self.u32()
        if 2 * n > self.end - self.pos:
            raise CodecError("truncated message")
        buf = self.buf
        out: dict[str, Any] = {}
        for _ in range(n):
            pos = self.pos
            if pos < self.end and buf[pos] == _T_STR and depth < MAX_DEPTH:
                # The key, read here (it counts as an item, as any value does).
                self.items += 1
                if self.items > MAX_ITEMS:
                    raise CodecError(f"message has more than {MAX_ITEMS} items")
                key = self._str_at(pos + 1)
            else:
                key = self.get(depth + 1)
                if type(key) is not str:
                    raise CodecError("dict key is not a str")
            out[key] = self.get(depth + 1)
        return out

    def _array(self) -> np.ndarray:
        dtype = _dtype(bytes(self.take(self.take(1)[0])))
        np = _numpy()
        ndim = self.take(1)[0]
        if ndim > 32:
            raise CodecError("array has more than 32 dimensions")
        *dims, nbytes = self._unpack(_SHAPES[ndim])  # the sizes, then the data's length
        shape = tuple(dims)
        count = 1
        for n in shape:
            count *= n
        if count * dtype.itemsize != nbytes:
            raise CodecError("array shape does not match its data")
        data = self.take(nbytes)
        # A fresh, writable, plain ndarray: never a view into the message buffer.
        return np.frombuffer(data, dtype=dtype).reshape(shape).copy()


_DTYPES: dict[bytes, Any] = {}
_SHAPES = [struct.Struct(f">{n + 1}Q") for n in range(33)]


def _dtype(name: bytes) -> np.dtype:
    """The dtype an array header names, if it is an allowed one (remembered: a run sends the same
    few dtypes over and over)."""
    dtype = _DTYPES.get(name)
    if dtype is None:
        dt = name.decode("ascii")
        if not _DTYPE_RE.match(dt):
            raise CodecError(f"dtype {dt!r} is not allowed")
        dtype = _numpy().dtype(dt)
        if len(_DTYPES) < 256:
            _DTYPES[name] = dtype
    return dtype


def write_frame(fd: int, payload: bytes) -> None:
    """Write one length-prefixed frame to a file descriptor (blocking, all of it)."""
    view = memoryview(_U32.pack(len(payload)) + payload)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def frame_length(header: bytes) -> int:
    """The payload length announced by a 4-byte frame header."""
    return int(_U32.unpack(header)[0])

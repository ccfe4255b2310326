"""The worker: the only process that ever runs student code.

Started by ``grader.sandbox`` as ``python -I -m grader._worker FD_IN FD_OUT``. It imports NumPy and
the codec, reads its configuration, confines itself (``grader._jail``), writes the submission into
its scratch folder, imports it, then serves requests from the grader until told to stop:

- ``getattr``: an attribute of the module or of a handle -> data, ``callable``, or a new handle;
- ``call``: call an attribute (or a handle itself) with data/handle arguments -> data or handle;
- ``release``: forget handles.

Replies are data only (``grader.codec``); objects that are not data stay here behind handles.
Nothing here is trusted by the grader: the student's code runs in this process and can change any
of it. The grader only ever decodes data from it.
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import os
import socket  # for the leak probe: after confinement it may no longer be importable
import sys
import tempfile
import traceback
from typing import Any

import numpy as np

from grader import _jail, codec
from grader.errors import CodecError

_MAX_TEXT = 2000


class _Server:
    def __init__(self, fd_in: int, fd_out: int, max_result_bytes: int) -> None:
        self.fd_in = fd_in
        self.fd_out = fd_out
        self.max_result_bytes = max_result_bytes
        self.handles: dict[int, Any] = {}
        self.handle_of: dict[int, codec.Handle] = {}
        self.next_id = 1
        self.module: Any = None
        self.scratch = ""

    # -- framing ---------------------------------------------------------------------------
    def read(self) -> Any:
        header = _read_exact(self.fd_in, 4)
        if header is None:
            return None
        body = _read_exact(self.fd_in, codec.frame_length(header))
        if body is None:
            return None
        return codec.decode(body, from_handle=self._resolve)

    def send(self, message: dict[str, Any]) -> None:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(BaseException):  # the student may have replaced it
                stream.flush()  # so printed text precedes the reply in the report
        try:
            payload = codec.encode(message, to_handle=self._register,
                                   max_bytes=self.max_result_bytes)
        except CodecError as exc:
            payload = codec.encode({"ok": False, "error": {
                "type": "ResultNotData", "message": str(exc), "traceback": ""}})
        except BaseException as exc:  # noqa: BLE001 - a hostile value may raise anything
            payload = codec.encode({"ok": False, "error": self._describe(exc)})
        codec.write_frame(self.fd_out, payload)

    # -- handles ---------------------------------------------------------------------------
    def _register(self, obj: Any) -> codec.Handle:
        key = id(obj)
        h = self.handle_of.get(key)
        if h is not None and self.handles.get(h.id) is obj:
            return h
        h = codec.Handle(self.next_id, _type_name(obj))
        self.next_id += 1
        self.handles[h.id] = obj
        self.handle_of[key] = h
        return h

    def _resolve(self, h: codec.Handle) -> Any:
        if h.id not in self.handles:
            raise CodecError(f"unknown handle {h.id}")
        return self.handles[h.id]

    # -- errors ----------------------------------------------------------------------------
    def _describe(self, exc: BaseException) -> dict[str, Any]:
        try:
            message = str(exc)
        except BaseException:  # noqa: BLE001 - a student exception's __str__ may itself raise
            message = "<message could not be shown>"
        frames = []
        lineno = None
        try:
            for fs in traceback.extract_tb(exc.__traceback__):
                if fs.filename.startswith(self.scratch + os.sep):
                    rel = os.path.relpath(fs.filename, self.scratch)
                    frames.append(f'  File "{rel}", line {fs.lineno}, in {fs.name}\n'
                                  + (f"    {fs.line.strip()}\n" if fs.line else ""))
                    lineno = fs.lineno
            if isinstance(exc, SyntaxError) and exc.filename and \
                    str(exc.filename).startswith(self.scratch):
                lineno = exc.lineno
                frames.append(f'  File "{os.path.relpath(exc.filename, self.scratch)}", '
                              f"line {exc.lineno}\n    {(exc.text or '').strip()}\n")
                message = exc.msg
        except BaseException:  # noqa: BLE001 - best effort only
            pass
        tb = "".join(frames[-8:])
        # NumPy raises a private subclass (_ArrayMemoryError); the grader must still see memory.
        etype = "MemoryError" if isinstance(exc, MemoryError) else _type_name(exc)
        return {"type": etype, "message": message[:_MAX_TEXT] +
                ("..." if len(message) > _MAX_TEXT else ""),
                "traceback": tb[:4 * _MAX_TEXT], "line": lineno}

    # -- requests --------------------------------------------------------------------------
    def target(self, ref: int) -> Any:
        if ref == 0:
            return self.module
        if ref not in self.handles:
            raise LookupError(f"object {ref} no longer exists")
        return self.handles[ref]

    def serve(self) -> None:
        while True:
            try:
                req = self.read()
            except CodecError as exc:
                self.send({"ok": False, "error": {"type": "ProtocolError", "message": str(exc),
                                                  "traceback": ""}})
                continue
            if req is None or req.get("op") == "exit":
                return
            try:
                self.send(self.handle(req))
            except BaseException as exc:  # noqa: BLE001 - SystemExit etc. in student code
                self.send({"ok": False, "error": self._describe(exc)})

    def handle(self, req: dict[str, Any]) -> dict[str, Any]:  # noqa: PLR0911 - one per op
        op = req.get("op")
        if op == "getattr":
            obj = self.target(req["target"])
            name = req["name"]
            try:
                value = getattr(obj, name)
            except AttributeError:
                return {"ok": False, "error": {"type": "MissingAttribute", "message": name,
                                               "traceback": ""}}
            if callable(value) and not isinstance(value, np.ndarray):
                return {"ok": True, "callable": True, "type": _type_name(value)}
            return {"ok": True, "value": value}
        if op == "call":
            obj = self.target(req["target"])
            name = req.get("name")
            try:
                fn = obj if name is None else getattr(obj, name)
            except AttributeError:
                # The grader calls module functions by name without asking first; a function
                # the submission deleted after import is then missing, as with getattr.
                return {"ok": False, "error": {"type": "MissingAttribute", "message": name,
                                               "traceback": ""}}
            return {"ok": True, "value": fn(*req.get("args", ()), **req.get("kwargs", {}))}
        if op == "release":
            for ref in req.get("ids", ()):
                obj = self.handles.pop(ref, None)
                if obj is not None:
                    self.handle_of.pop(id(obj), None)
            return {"ok": True, "value": None}
        return {"ok": False, "error": {"type": "ProtocolError", "message": f"unknown op {op!r}",
                                       "traceback": ""}}


def _callable_names(module: Any) -> list[str]:
    """Names of the module's callables after import: the grader then calls them by name without
    a round trip to ask what each name is."""
    try:
        return [n for n, v in dict(vars(module)).items()
                if type(n) is str and not n.startswith("__") and callable(v)
                and not isinstance(v, np.ndarray)][:10_000]
    except Exception:  # noqa: BLE001 - sys.modules replaced by an odd object: no hints
        return []


def _type_name(obj: Any) -> str:
    t = type(obj)
    try:
        return str(type.__getattribute__(t, "__qualname__"))[:200]
    except BaseException:  # noqa: BLE001
        return "object"


def _read_exact(fd: int, n: int) -> bytes | None:
    chunks = []
    while n:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def _write_files(root: str, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        path = os.path.normpath(os.path.join(root, rel))
        if not path.startswith(root + os.sep):
            continue  # the loader never produces such names; defence in depth
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)


def probe(spec: dict[str, Any]) -> dict[str, Any]:
    """Try, from inside the jail and before any student code, to reach what must stay out of
    reach: read trusted files, list trusted folders, connect to a port the grader listens on.

    Measured, not assumed: the grader's layers may be refused or weakened by the platform in ways
    the jail cannot see (a container's LSM settings, a world-readable checkout), so the report
    says what this worker could actually do (``isolation.verified``). ``spec``: ``files`` and
    ``folders`` (paths that exist on the grader's side), ``port`` (a loopback port, or 0).
    """
    checked = []
    hidden_unreadable = True
    for path in spec.get("files", ()):
        try:
            fd = os.open(path, os.O_RDONLY)
            try:
                os.read(fd, 1)
            finally:
                os.close(fd)
        except OSError as exc:
            checked.append({"target": path, "kind": "file", "result": _refused(exc)})
        else:
            hidden_unreadable = False
            checked.append({"target": path, "kind": "file", "result": "readable"})
    for path in spec.get("folders", ()):
        try:
            names = os.listdir(path)
        except OSError as exc:
            checked.append({"target": path, "kind": "folder", "result": _refused(exc)})
            continue
        # The grader only sends folders with entries: an empty listing is a folder hidden
        # under an empty mount, not a view of the real one.
        if names:
            hidden_unreadable = False
        checked.append({"target": path, "kind": "folder",
                        "result": "listed" if names else "refused: empty"})
    network_unreachable = True
    port = int(spec.get("port") or 0)
    if port:
        target = f"127.0.0.1:{port}"
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.settimeout(1.0)
                s.connect(("127.0.0.1", port))
        except OSError as exc:  # TimeoutError included: nothing answered
            checked.append({"target": target, "kind": "tcp", "result": _refused(exc)})
        else:
            network_unreachable = False
            checked.append({"target": target, "kind": "tcp", "result": "connected"})
    return {"hidden_unreadable": hidden_unreadable, "network_unreachable": network_unreachable,
            "checked": checked}


def _refused(exc: OSError) -> str:
    name = errno.errorcode.get(exc.errno or 0, "timeout" if isinstance(exc, TimeoutError)
                               else "error")
    return f"refused: {name}"


def main() -> None:
    """Entry point of a worker started on its own (``python -I -m grader._worker IN OUT``)."""
    _jail.die_with_parent()
    run(int(sys.argv[1]), int(sys.argv[2]))


def run(fd_in: int, fd_out: int) -> None:
    """Serve one submission over the given pipe ends (also called in a zygote's fresh fork)."""
    # -I ignores PYTHONUNBUFFERED; without this a killed worker loses what it printed.
    # Text that is not valid Unicode (a lone surrogate) is printed as its escape, as the grader
    # shows it anyway, rather than failing the print. New streams, not reconfigure(): in a
    # zygote's fork the old ones believe fds 1 and 2 are still seekable files.
    sys.stdout = open(1, "w", encoding="utf-8", errors="backslashreplace",  # noqa: SIM115
                      buffering=1, closefd=False)
    sys.stderr = open(2, "w", encoding="utf-8", errors="backslashreplace",  # noqa: SIM115
                      buffering=1, closefd=False)
    header = _read_exact(fd_in, 4)
    if header is None:
        os._exit(3)
    body = _read_exact(fd_in, codec.frame_length(header))
    cfg = codec.decode(body or b"")
    limits = cfg["limits"]
    server = _Server(fd_in, fd_out, int(limits["max_result_mb"]) * 1024 * 1024)
    jail_cfg = _jail.JailConfig(
        scratch=cfg["scratch"], hide=list(cfg["hide"]), memory_mb=int(limits["memory_mb"]),
        cpu_seconds=int(limits["cpu_seconds"]), max_processes=int(limits["max_processes"]),
        file_mb=int(limits["file_mb"]), namespaces=bool(cfg["namespaces"]),
        disable=frozenset(cfg.get("disable", ())))
    iso = _jail.enter(jail_cfg)
    isolation = iso.as_dict()
    spec = cfg.get("probe") or {}
    verified = probe(spec)
    isolation["verified"] = verified
    missing = [k for k in spec.get("require", ()) if not verified.get(k)]
    scratch = os.path.realpath(cfg["scratch"])
    server.scratch = scratch
    _write_files(scratch, cfg["files"])
    os.chdir(scratch)
    os.environ["HOME"] = scratch
    # Without a mount namespace /tmp is shared with everyone else on the machine (and Landlock
    # refuses it): temporary files go to the scratch folder.
    os.environ["TMPDIR"] = scratch
    tempfile.tempdir = None
    sys.path.insert(0, scratch)
    # Sent only now: a failure before this point is the grader's, never the student's.
    server.send({"ok": True, "phase": "jailed", "isolation": isolation, "uid": os.getuid()})
    if missing:
        # The grader refuses this worker; the submission is never even imported, so nothing it
        # could have read or sent exists.
        return
    try:
        server.module = importlib.import_module(cfg["entry"])
    except BaseException as exc:  # noqa: BLE001 - SyntaxError, SystemExit, anything at import
        server.send({"ok": False, "phase": "import", "error": server._describe(exc)})
        return
    server.send({"ok": True, "phase": "import", "callables": _callable_names(server.module)})
    server.serve()


if __name__ == "__main__":
    main()
    sys.stdout.flush()
    os._exit(0)

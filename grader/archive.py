"""Extracting a class's zip export safely: every member is checked before anything is written.

An archive is refused (a usage error: nothing is graded) when a member is a link, encrypted,
escapes the folder, has a name no file system takes, is in it twice, is both a file and a
folder, or when a file or the whole archive unpacks to far more than it compresses to (a bomb).
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

from grader.errors import UsageError

STUDENT_SUFFIXES = {".py", ".ipynb"}
"""What a student's file hands in (any folder does too)."""
#: System files that are never a submission; skipped without a word.
SKIP_NAMES = {"__MACOSX", "__pycache__", "Thumbs.db", ".DS_Store"}


class UnsafeArchiveError(UsageError):
    """A submissions archive would escape its folder, holds links, or is (or acts like) a bomb."""


@dataclass(frozen=True)
class ZipLimits:
    """Caps applied when extracting a submissions archive."""

    max_members: int = 20_000
    """Entries (files and folders) in the archive."""
    max_total_bytes: int = 2 * 1024**3
    """Uncompressed size of all files together."""
    max_ratio: float = 200.0
    """Uncompressed/compressed size of any file larger than ``ratio_floor_bytes``, and of the
    whole archive (which may unpack to 1 MiB more)."""
    ratio_floor_bytes: int = 4096
    """Files smaller than this are not ratio-checked (tiny files compress arbitrarily well,
    and a few KiB harm nothing; many of them count in the whole archive's ratio)."""


def extract_zip(archive: Path, dest: Path, limits: ZipLimits = ZipLimits()) -> Path:
    """Extract ``archive`` into the new folder ``dest`` after checking every entry.

    Returns the folder that holds the students: ``dest`` itself, or its only subfolder when the
    export wraps everything in one folder (as Gradescope's does).
    """
    try:
        zf = zipfile.ZipFile(archive)
    except Exception as exc:  # noqa: BLE001 - BadZipFile, OSError, a name not in UTF-8, ...
        raise UsageError(f"{archive} is not a readable zip archive ({exc})") from None
    with zf:
        plan = _plan(archive, zf.infolist(), limits)
        dest.mkdir(parents=True)
        try:
            _extract(archive, zf, plan, dest, limits)
        except Exception as exc:
            # Nothing half-extracted is left for a batch to grade.
            shutil.rmtree(dest, ignore_errors=True)
            if isinstance(exc, UsageError):
                raise
            raise UsageError(f"{archive.name} could not be extracted ({exc}); nothing was "
                             "graded") from None
    children = [p for p in dest.iterdir() if not (p.name.startswith(".") or p.name in SKIP_NAMES)]
    if len(children) == 1 and children[0].is_dir() and not children[0].is_symlink():
        inner = list(children[0].iterdir())
        # A wrapper folder holds student folders (and metadata), not a student's own code.
        if any(p.is_dir() for p in inner) and not any(p.suffix in STUDENT_SUFFIXES
                                                      for p in inner):
            return children[0]
    return dest


def _plan(archive: Path, infos: list[zipfile.ZipInfo],
          limits: ZipLimits) -> list[tuple[zipfile.ZipInfo, tuple[str, ...]]]:
    """The members to extract, with their path parts, after checking each and all together:
    nothing is written for an archive that would be refused."""
    if len(infos) > limits.max_members:
        raise UnsafeArchiveError(f"{archive.name} has {len(infos)} entries; the limit is "
                                 f"{limits.max_members} (raise it with --max-members)")
    total = packed = 0
    plan: list[tuple[zipfile.ZipInfo, tuple[str, ...]]] = []
    files: dict[tuple[str, ...], str] = {}
    folders: dict[tuple[str, ...], str] = {}
    for info in infos:
        parts = _check_member(archive, info, limits)
        total += info.file_size
        packed += info.compress_size
        if total > limits.max_total_bytes:
            raise UnsafeArchiveError(
                f"{archive.name} unpacks to more than {limits.max_total_bytes / 1e6:.0f} MB; "
                "refused as a possible zip bomb (raise the cap with --max-bytes)")
        if not parts:
            continue
        key = parts
        for depth in range(1, len(parts) + (1 if info.is_dir() else 0)):
            folders.setdefault(key[:depth], info.filename)
        if not info.is_dir():
            if key in files:
                raise UnsafeArchiveError(
                    f"{archive.name}: {info.filename!r} is in the archive twice (as "
                    f"{files[key]!r} too); refused, as either copy could be the one graded")
            files[key] = info.filename
        plan.append((info, parts))
    clash = next((k for k in files if k in folders), None)
    if clash is not None:
        raise UnsafeArchiveError(f"{archive.name}: {files[clash]!r} is both a file and a folder "
                                 f"(as in {folders[clash]!r}); refused")
    if total > limits.max_ratio * packed + _ARCHIVE_SLACK:
        raise UnsafeArchiveError(
            f"{archive.name} compresses {total} bytes into {packed} (ratio above "
            f"{limits.max_ratio:g}); refused as a possible zip bomb")
    return plan


#: Bytes an archive may unpack to beyond ``max_ratio`` times its compressed size.
_ARCHIVE_SLACK = 1024 * 1024
#: Longest name of one file or folder (Linux's limit) and of a path inside the archive.
_NAME_MAX = 255
_PATH_MAX = 1024


def _extract(archive: Path, zf: zipfile.ZipFile,
             plan: list[tuple[zipfile.ZipInfo, tuple[str, ...]]], dest: Path,
             limits: ZipLimits) -> None:
    written = 0
    for info, parts in plan:
        target = dest.joinpath(*parts)
        if info.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        # The sizes in the headers are claims: count what really comes out of the stream.
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        with zf.open(info) as src, os.fdopen(fd, "wb") as out:
            size = 0
            while chunk := src.read(1 << 16):
                size += len(chunk)
                written += len(chunk)
                if size > info.file_size or written > limits.max_total_bytes:
                    raise UnsafeArchiveError(f"{archive.name}: {info.filename!r} unpacks to "
                                             "more than its header says; refused")
                out.write(chunk)


def _check_member(archive: Path, info: zipfile.ZipInfo, limits: ZipLimits) -> tuple[str, ...]:
    """The member's path parts, or an error when it is a link, encrypted, escapes, is a bomb,
    or has a name no file system takes."""
    mode = info.external_attr >> 16
    if mode and stat.S_ISLNK(mode):
        raise UnsafeArchiveError(f"{archive.name}: {info.filename!r} is a symbolic link; "
                                 "archives with links are refused")
    if info.flag_bits & 0x1:
        raise UnsafeArchiveError(f"{archive.name}: {info.filename!r} is encrypted")
    if (info.file_size > limits.ratio_floor_bytes
            and info.file_size > limits.max_ratio * max(info.compress_size, 1)):
        raise UnsafeArchiveError(
            f"{archive.name}: {info.filename!r} compresses {info.file_size} bytes into "
            f"{info.compress_size} (ratio above {limits.max_ratio:g}); refused as a possible "
            "zip bomb")
    name = info.filename.replace("\\", "/")
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        raise UnsafeArchiveError(f"{archive.name}: {info.filename!r} is an absolute path; refused")
    parts = tuple(p for p in name.split("/") if p not in ("", "."))
    if ".." in parts:
        raise UnsafeArchiveError(f"{archive.name}: {info.filename!r} points outside the archive "
                                 "folder; refused")
    if any("\x00" in p for p in parts):
        raise UnsafeArchiveError(f"{archive.name}: {info.filename!r} has a NUL byte in its name")
    sizes = [len(os.fsencode(p)) for p in parts]
    if any(n > _NAME_MAX for n in sizes) or sum(sizes) + len(sizes) > _PATH_MAX:
        raise UnsafeArchiveError(
            f"{archive.name}: {info.filename[:80]!r}... has a name longer than {_NAME_MAX} bytes "
            f"(or a path longer than {_PATH_MAX}); refused")
    return parts

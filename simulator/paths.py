"""Paths: names made safe for file names, written paths kept inside their folder, input files checked.

A firm, a scenario or a sweep is named by its user, and a name may hold anything printable: ``../``,
a slash, ``<script>``. Like a post room that relabels every parcel with a room number before it
goes up the stairs, nothing named by a user becomes part of a path as it is: :func:`slug` turns it
into letters, digits, ``-`` and ``_`` (python-slugify), and :func:`inside` refuses any path that
would land outside the folder it is written to, whatever its parts. :func:`check_input_file` is the
door check for files an input names (an edge list, a demand file): it exists, it is a regular file
(not a folder, a device such as ``/dev/zero`` or a pipe) and it is small enough to read.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

from slugify import slugify


class UnsafePath(Exception):
    """A path that would be written outside its folder."""


def slug(name: str, fallback: str = "unnamed", max_length: int = 60) -> str:
    """``name`` as a file-name part: ASCII letters, digits, ``-`` and ``_`` only (case kept).

    A name with nothing usable in it (``"../"``, ``"東京"`` transliterates, ``"!!!"`` does not) becomes
    ``fallback``.
    """
    out = slugify(
        name,
        lowercase=False,
        max_length=max_length,
        word_boundary=False,
        regex_pattern=r"[^A-Za-z0-9_-]+",
    )
    return out or fallback


def unique_slugs(names: Iterable[str], fallback: str = "unnamed") -> dict[str, str]:
    """A slug for each distinct name, distinct from each other (``-2``, ``-3`` on a collision).

    Two names that slug alike ("Pull Co" and "Pull/Co") must not overwrite each other's file.
    """
    out: dict[str, str] = {}
    used: set[str] = set()
    for name in dict.fromkeys(names):
        base = slug(name, fallback)
        candidate, n = base, 1
        while candidate.lower() in used:  # case-insensitive file systems
            n += 1
            candidate = f"{base}-{n}"
        used.add(candidate.lower())
        out[name] = candidate
    return out


def inside(folder: Path, *parts: str) -> Path:
    """``folder / parts...``, refused unless it stays inside ``folder`` once resolved.

    Raises:
        UnsafePath: a part is absolute, climbs out with ``..``, or a symbolic link leads elsewhere.
    """
    path = folder.joinpath(*parts)
    base = folder.resolve()
    target = path.resolve()
    if target != base and base not in target.parents:
        raise UnsafePath(f"{path}: would be written outside {folder}")
    return path


def check_input_file(path: str | Path, max_bytes: int) -> str | None:
    """Why the input file at ``path`` cannot be read (a phrase without the path), or None.

    Args:
        path: the file.
        max_bytes: the largest size accepted.
    """
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        return "file not found"
    except OSError as e:
        return f"cannot read: {e.strerror or e}"
    if stat.S_ISDIR(st.st_mode):
        return "is a directory, not a file"
    if not stat.S_ISREG(st.st_mode):
        return "is not a regular file (a device, a pipe or a socket cannot be read as data)"
    if st.st_size > max_bytes:
        return f"is {_size(st.st_size)}, more than the {_size(max_bytes)} accepted"
    if not os.access(p, os.R_OK):
        return "cannot read: permission denied"
    return None


def _size(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:,.1f} TiB"


def human_bytes(n: float) -> str:
    """``n`` bytes as a short size (``1.5 GiB``)."""
    return _size(n)

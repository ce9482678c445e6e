"""The scenarios and sweep files that come with the simulator, found by name.

Like the sample projects that ship with a desktop application, the bundled files are there in a
source checkout (``scenarios/``, ``sweeps/``) and in an installed package
(``<prefix>/share/marketsim/``, see ``[tool.setuptools.data-files]`` in ``pyproject.toml``). A
command that takes a file also takes a bundled file's name: ``marketsim run baseline`` is
``marketsim run scenarios/baseline.toml`` from anywhere. A path that exists always wins over a name.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path
from typing import Literal

Kind = Literal["scenarios", "sweeps"]
SHARE = ("share", "marketsim")
"""Where an installed package keeps the bundled files, under ``sys.prefix``."""


def bundled_dirs(kind: Kind) -> list[Path]:
    """Folders that hold bundled files of ``kind``, the source checkout's first."""
    checkout = Path(__file__).resolve().parents[1] / kind
    installed = Path(sys.prefix).joinpath(*SHARE, kind)
    return [d for d in (checkout, installed) if d.is_dir()]


def bundled_names(kind: Kind = "scenarios") -> list[str]:
    """The names of the bundled files of ``kind`` (file names without ``.toml``), sorted."""
    names: set[str] = set()
    for d in bundled_dirs(kind):
        names.update(p.stem for p in d.glob("*.toml"))
    return sorted(names)


def bundled_path(name: str, kind: Kind = "scenarios") -> Path:
    """The path of bundled file ``name`` (``baseline`` or ``baseline.toml``).

    Raises:
        FileNotFoundError: no bundled file of that name.
    """
    stem = name.removesuffix(".toml")
    for d in bundled_dirs(kind):
        p = d / f"{stem}.toml"
        if p.is_file():
            return p
    raise FileNotFoundError(f"no bundled {kind[:-1]} named {stem!r}")


def resolve(arg: str | Path, kind: Kind = "scenarios") -> Path:
    """``arg`` as a path if it exists, else the bundled file of that name, else ``arg`` unchanged
    (so that reading it reports the missing file under the name the user gave)."""
    p = Path(arg)
    if p.exists() or len(p.parts) != 1:
        return p
    try:
        return bundled_path(p.name, kind)
    except FileNotFoundError:
        return p


def describe(path: Path) -> str:
    """A bundled file's one-line description: its ``description`` key or its first comment line."""
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        data = {}
    if isinstance(data.get("description"), str):
        return data["description"].strip().splitlines()[0]
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("#"):
            return s.lstrip("#").strip()
        if s:
            break
    return str(data.get("name", ""))

"""The code stays clean: ruff (lint and format) and mypy pass, as `make lint` checks."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    "cmd",
    [
        ["ruff", "check", "simulator", "tests"],
        ["ruff", "format", "--check", "simulator", "tests"],
        ["mypy"],
    ],
    ids=["ruff-check", "ruff-format", "mypy"],
)
def test_tool_passes(cmd: list[str]) -> None:
    exe = BIN / cmd[0]
    if not exe.exists():
        found = shutil.which(cmd[0])
        assert found, f"{cmd[0]} is not installed (it is in the dev extra)"
        exe = Path(found)
    proc = subprocess.run([str(exe), *cmd[1:]], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr

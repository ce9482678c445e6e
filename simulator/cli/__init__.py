"""``marketsim``: the command line. Thin: it parses, calls the library, prints.

Exit codes: 0 success, 2 bad input (a message naming the file, the field and what is wrong, never a
traceback), 1 internal error.

One module per group of commands (``run_cmds``: check, why, run; ``experiments``: compare, sweep,
report; ``factory``; ``validate``; ``evidence``: survey, elasticity, sharing; ``viz``;
``scenarios``), each registering its commands on the one :data:`app` of :mod:`simulator.cli.common`.
A new command goes in a module of its own, imported below; the order of the imports is the order of
the commands in ``--help``.
"""

# isort: off
from simulator.cli import run_cmds
from simulator.cli import experiments
from simulator.cli import factory
from simulator.cli import validate
from simulator.cli import evidence
from simulator.cli import tune
from simulator.cli import viz
from simulator.cli import scenarios

# isort: on
from simulator.cli.common import app, main

__all__ = [
    "app",
    "evidence",
    "experiments",
    "factory",
    "main",
    "run_cmds",
    "scenarios",
    "tune",
    "validate",
    "viz",
]

"""``python -m simulator`` runs the ``marketsim`` command line."""

from simulator.cli import main

main()

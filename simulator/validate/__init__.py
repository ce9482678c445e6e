"""Validation against theory: the simulator reproduces what is known exactly.

:mod:`~simulator.validate.theory` holds the closed forms (and one exact Markov-chain solution);
:mod:`~simulator.validate.cases` the catalogue, whose cases live in
:mod:`~simulator.validate.plant_cases` (queues, Little's law, closed lines, breakdowns),
:mod:`~simulator.validate.stock_cases` (make to stock, base stock, periodic review, bullwhip,
newsvendor) and :mod:`~simulator.validate.market_cases` (logit, Bass), each a scenario run through
the code a user runs; :mod:`~simulator.validate.runner` replicates and judges each case at 99%;
:mod:`~simulator.validate.report` prints and writes the table. ``marketsim validate`` is the
command.
"""

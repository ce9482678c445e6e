"""Experiments: replications, common random numbers, comparisons, sweeps and executors."""

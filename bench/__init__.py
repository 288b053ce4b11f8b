"""Benchmarks (PERF, TEN-3): ``make bench`` runs bench/run.py. See bench/run.py for how to add cases."""

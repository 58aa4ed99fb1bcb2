"""Benchmarks, run on demand (``python -m tests.perf.<name>``); pytest does not collect them."""

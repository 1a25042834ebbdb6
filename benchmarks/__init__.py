"""Benchmarks: one script per headline figure, run as `python -m benchmarks.NAME`."""

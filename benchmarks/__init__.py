"""Benchmarks: each prints our figures against a peer measured in the same run.

Run one with ``python -m benchmarks.<name>``; ``make bench`` runs them all. The large
demo databases are built once (``benchmarks.common.prepare``) and cached in ``.bench/``.
"""

"""Benchmarks: matcher against the physical limit (bare min-cost flow) and against the ways
allocation is done without it (score-order serial dictatorship, deferred acceptance).

A package so that ``python -m benchmarks.run`` works from the repository root and the smoke
test can import the peers; nothing in ``src/matcher`` imports it.
"""

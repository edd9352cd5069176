"""Benchmarks of the gdcore engine against plain numpy and scikit-learn (see bench/README.md).

Run ``python -m bench.run`` (or ``python bench/run.py``) from the repository root.
"""

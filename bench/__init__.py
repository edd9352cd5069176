"""Benchmarks of the gdcore engine (see bench/README.md): both engine paths against plain numpy
and scikit-learn, and the start-up of a fresh process with no compiled code.

Run ``python -m bench.run`` (or ``python bench/run.py``) from the repository root;
``bench/fresh.py`` is the script each fresh-process measurement runs.
"""

"""Experiments: running many (scenario, seed) pairs, storing them safely, comparing them.

The model (``simulation.model``), the experiment design (which scenarios, which
seeds) and the analysis (``compare``) are separate; results are plain tables.
"""

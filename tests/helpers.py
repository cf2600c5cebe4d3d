"""Shared test helpers."""

from __future__ import annotations

from simulation import scenario


def arm(name: str):
    """(package, parameter overrides) of a shipped scenario."""
    s = scenario.load(name)
    return s.package, dict(s.params)

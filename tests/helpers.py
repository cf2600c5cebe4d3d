"""Shared test helpers."""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

from simulation import scenario

ROOT = Path(__file__).resolve().parents[1]


def need(module: str, extra: str, note: str = "") -> ModuleType:
    """Import ``module`` for a test that needs an optional extra, or skip the test naming ``extra``.

    A core install plus pytest skips such tests with the reason (``pip install -e '.[optimize]'``); CI sets
    ``SME_REQUIRE_EXTRAS=1``, where every extra is installed, and there a missing module fails instead of
    skipping. Works at module level too (it skips the whole file). ``note`` adds what else it takes.
    """
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as err:
        why = f"needs the '{extra}' extra (pip install -e '.[{extra}]'{'; ' + note if note else ''}): {err}"
        if os.environ.get("SME_REQUIRE_EXTRAS"):
            pytest.fail(f"SME_REQUIRE_EXTRAS is set but this test {why}")
        pytest.skip(why, allow_module_level=True)


def draw_firms(p, n: int, seed: int):
    """``n`` freshly drawn SMEs over a freshly drawn world, at parameters ``p``: (SMEArrays, World)."""
    import numpy as np

    from simulation.mechanisms import demography

    rng = np.random.default_rng(seed)
    world = demography.make_world(rng, p)
    return demography.new_firms(rng, demography.region_of_rows(world, n), world, p, 0, world.infrastructure), world


def arm(name: str):
    """(package, parameter overrides) of a shipped scenario."""
    s = scenario.load(name)
    return s.package, dict(s.params)


def kill_part_way(args: list[str], parts: Path, at_least: int, timeout: float = 120) -> None:
    """Start ``run.py *args``, SIGKILL its whole process group once ``parts`` holds ``at_least`` files."""
    proc = subprocess.Popen([sys.executable, str(ROOT / "run.py"), *args], cwd=ROOT, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + timeout
    while time.time() < deadline and len(list(parts.glob("*.parquet"))) < at_least:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()

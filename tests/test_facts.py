"""The stylized facts of calibration/targets.toml, kept as acceptance tests of the default parameters.

A change that moves a fact out of its band fails here. A fact the targets
file marks as a known gap is expected outside its band (strict: when a
change makes the model reproduce it, the test says so, and the gap note
must go). 16 seeds put the 95%
interval of each fact's mean well inside its band (the widest interval at
the defaults is about a tenth of the band), so the test is stable.
"""

from __future__ import annotations

import pandas as pd
import pytest

import simulation as sim
from simulation.calibration import load
from simulation.scenario import load as load_scenario

SEEDS = 16


@pytest.fixture(scope="module")
def moments() -> pd.DataFrame:
    targets = load()
    scenario = load_scenario(targets.scenario)
    rows = []
    for seed in sim.replicate_seeds(SEEDS, root=2024):
        ts = sim.run(scenario.package, seed=seed, steps=targets.steps, regions=False, **scenario.params).timeseries
        rows.append(targets.simulate(ts))
    return pd.DataFrame(rows)


@pytest.mark.parametrize("fact", [
    f.name if not f.known_gap else pytest.param(f.name, marks=pytest.mark.xfail(strict=True, reason=f.known_gap))
    for f in load().facts])
def test_fact_is_inside_its_band_at_the_defaults(moments, fact):
    targets = load()
    spec = next(f for f in targets.facts if f.name == fact)
    table = targets.fit_table(moments).set_index("fact")
    row = table.loc[fact]
    assert row["inside"], (f"{fact}: simulated {row['simulated']:.4g} (± {row['ci_half_width']:.2g}) outside "
                           f"[{spec.band[0]}, {spec.band[1]}] (observed {spec.observed}; {spec.source})")

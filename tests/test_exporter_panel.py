"""The facts of plant panels the model reports: yearly export persistence and exporters' export intensity."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from simulation import api, outcomes
from simulation.outcomes import QUARTERS_PER_YEAR
from simulation.reporters import _median_by_run


@given(st.lists(st.tuples(st.integers(0, 4), st.floats(0, 1)), max_size=60))
def test_the_median_by_run_is_each_runs_median_and_nan_for_a_run_without_firms(pairs):
    run = np.array([r for r, _ in pairs], dtype=np.int64)
    values = np.array([v for _, v in pairs], dtype=float)
    got = _median_by_run(run, values, 5)
    expected = pd.Series(values).groupby(run).median().reindex(range(5)).to_numpy()
    np.testing.assert_allclose(got, expected, equal_nan=True)


def test_persistence_is_counted_once_a_year_among_survivors_and_intensity_is_a_share():
    ts = api.run(seed=2, steps=24, n_smes=3000, regions=False).timeseries
    year_end = (ts["step"] % QUARTERS_PER_YEAR == 0)
    assert (ts.loc[~year_end, ["persistence_base", "persistence_stayed"]] == 0).all().all()
    assert (ts["persistence_stayed"] <= ts["persistence_base"]).all()
    assert ts.loc[year_end, "persistence_base"].iloc[0] == 0  # the first year end has no year before it
    assert ts.loc[year_end, "persistence_base"].iloc[1:].sum() >= 10
    intensity = ts["median_export_intensity"].dropna()
    assert len(intensity) and intensity.between(0, 1).all()
    got = outcomes.evaluate(ts, ["export_persistence", "export_intensity"])
    window = ts[ts["step"] > 0]
    assert got["export_persistence"] == window["persistence_stayed"].sum() / window["persistence_base"].sum()
    assert 0 < got["export_persistence"] < 1 and 0 < got["export_intensity"] < 1

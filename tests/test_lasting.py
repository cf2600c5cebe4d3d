"""Exporting that lasts: exporter-years, lasting entrants and the regional equity outcome, by their definitions.

Each outcome is recomputed here from what every firm did quarter by
quarter (its id, whether it exported, whether it had ever exported), so the
engine's bookkeeping (a ring of recent first entrants, rows handed to
entrants on exit) is checked against the plain definition.
"""

from __future__ import annotations

import numpy as np
import pytest

from simulation.api import summarize
from simulation.engine import LASTING_QUARTERS, Batch, RunInput
from simulation.mechanisms.demography import lowest_third
from simulation.reporters import Recorder
from simulation.scenario import load
from simulation.stack import Stack
from simulation.state import EXPORTING

STEPS = 20


@pytest.fixture(scope="module")
def history():
    """Per quarter (steps 1..STEPS): each row's firm id and whether it exports; the first entrants; the flows."""
    s = load("integrated")
    batch = Batch([RunInput(s.package, {**s.params, "n_smes": 1500}, 4)], steps=STEPS)
    recorder = Recorder(batch, regions=True)
    recorder.collect(batch, None)
    snaps, firsts = [], []
    closing = []  # firms that close at the end of this quarter, as they traded in it

    def keep_closers(rows):
        closing.append((batch.sme.firm_id[rows].copy(), batch.sme.stage[rows] >= EXPORTING))

    batch.on_exit = keep_closers
    for _ in range(STEPS):
        before = batch.sme.ever_exported.copy(), batch.sme.firm_id.copy()
        closing.clear()
        flows = batch.quarter()
        recorder.collect(batch, flows)
        sme = batch.sme
        # A first entry this quarter: a firm that had never exported (and held its row) now exports.
        first = (~before[0]) & (before[1] == sme.firm_id) & sme.ever_exported & (sme.spell == 1)
        # Who exported in the quarter: the firms there at its end, and those that exported and then closed.
        ids, exporting = sme.firm_id.copy(), sme.stage >= EXPORTING
        for gone, was_exporting in closing:
            ids, exporting = np.concatenate([ids, gone]), np.concatenate([exporting, was_exporting])
        snaps.append((ids, exporting, sme.spell.copy()))
        firsts.append(set(sme.firm_id[first].tolist()))
    return batch, recorder.timeseries(0), recorder.regions(0), snaps, firsts


def _exports_each_quarter(snaps, firm: int, quarters: range) -> bool:
    """The firm exported in each of ``quarters`` (a firm that exported in a quarter and closed at its end
    did export in it)."""
    for q in quarters:
        ids, exporting, _ = snaps[q - 1]
        row = np.flatnonzero(ids == firm)
        if len(row) == 0 or not exporting[row[0]]:
            return False
    return True


def test_lasting_entrants_are_first_entrants_that_export_each_of_the_next_four_quarters(history):
    _, ts, _, snaps, firsts = history
    flow = ts.set_index("step")["lasting_entrants"]
    checked = 0
    for entry in range(1, STEPS - LASTING_QUARTERS + 1):
        confirm = entry + LASTING_QUARTERS
        lasting = [f for f in firsts[entry - 1]
                   if _exports_each_quarter(snaps, f, range(entry + 1, confirm + 1))]
        assert flow[confirm] == len(lasting), f"entries of quarter {entry}, confirmed in {confirm}"
        checked += len(firsts[entry - 1])
    assert flow[: LASTING_QUARTERS].sum() == 0, "no entry of a recorded quarter can be confirmed this early"
    assert checked > 50 and 0 < flow.sum() < checked, "the test must see entrants that last and entrants that stop"


def test_first_entries_seen_here_are_the_new_exporters_that_kept_their_row(history):
    """Seen from outside, a first entrant that closed in its entry quarter is gone (it cannot last either)."""
    _, ts, _, _, firsts = history
    counted = ts.set_index("step")["new_exporters"].loc[1:].to_numpy()
    seen = np.array([len(f) for f in firsts])
    assert np.all(seen <= counted) and seen.sum() >= 0.9 * counted.sum()


def test_exporter_years_sum_the_quarters_exporters_in_years(history):
    _, ts, _, _, _ = history
    summary = summarize(ts)
    assert summary["exporter_years"] == pytest.approx(ts.loc[ts["step"] >= 1, "exporters"].sum() / 4)
    assert summary["lasting_entrants"] == ts["lasting_entrants"].sum()


def test_the_equity_outcome_counts_the_exporters_of_the_lowest_capacity_third(history):
    _, ts, regions, _, _ = history
    capacity = regions[regions["step"] == 0].set_index("region")["local_capacity"]
    low = capacity.sort_values(kind="stable").index[: int(np.ceil(len(capacity) / 3))]
    exporters = (regions["export_participation"] * regions["n_smes"]).round().astype(int)
    in_low = exporters[regions["region"].isin(low)].groupby(regions["step"]).sum()
    np.testing.assert_array_equal(in_low.to_numpy(), ts["exporters_low_capacity"].to_numpy())
    assert summarize(ts)["exporter_years_low_capacity"] < summarize(ts)["exporter_years"]


def test_lowest_third_is_per_run_and_never_empty():
    stack = Stack([10, 10, 10], [3, 1, 7], [1, 1, 1])
    capacity = np.array([0.9, 0.2, 0.5, 0.4, 0.3, 0.8, 0.1, 0.7, 0.6, 0.5, 0.2])
    low = lowest_third(capacity, stack)
    assert low[:3].tolist() == [False, True, False] and low[3]
    assert low[4:].sum() == 3  # ceil(7 / 3) of the third run's regions
    assert set(np.flatnonzero(low[4:]) + 4) == {4, 6, 10}

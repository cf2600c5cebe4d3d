"""The model as a whole: agents, invariants, determinism, the public API."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers import arm

import simulation as sim
from simulation.state import LIVE_STAGES


@pytest.fixture(scope="module")
def integrated():
    pkg, params = arm("integrated")
    return sim.run(pkg, seed=7, keep_model=True, **params)


def test_all_agent_kinds_are_mesa_agents(integrated):
    m = integrated.model
    assert len(m.agents_by_type[sim.SME]) == m.p["n_smes"]
    assert len(m.agents_by_type[sim.LargeEnterprise]) == m.le.n == 30
    assert len(m.agents_by_type[sim.LocalGovernment]) == m.p["n_regions"]
    assert len(m.agents_by_type[sim.NationalGovernment]) == 1
    assert len(m.agents) == m.p["n_smes"] + m.le.n + m.p["n_regions"] + 1


def test_an_sme_agent_shows_its_firm(integrated):
    m = integrated.model
    firms = list(m.agents_by_type[sim.SME])
    assert all(f.alive for f in firms), "after a sync every SME agent is a live firm"
    assert {f.stage for f in firms} <= set(LIVE_STAGES)
    f = firms[0]
    assert set(f.competitiveness) == {"management", "skills", "technology", "finance", "quality"}
    assert set(f.connectivity) == {"market_knowledge", "network_ties", "le_linkage", "infrastructure",
                                   "institutional"}
    assert set(f.barriers) == {"knowledge", "resource", "procedure", "exogenous"}
    assert all(0.0 <= v <= 1.0 for v in [*f.competitiveness.values(), *f.connectivity.values(),
                                         *f.barriers.values()])
    assert f.size_class in ("micro", "small", "medium")
    assert f.stage == LIVE_STAGES[m.sme.stage[f.row]]
    counts = pd.Series([a.stage for a in firms]).value_counts()
    last = integrated.timeseries.iloc[-1]
    for stage in LIVE_STAGES:
        assert counts.get(stage, 0) == last[f"n_{stage}"]


def test_exited_firms_report_exited_and_keep_their_last_state():
    pkg, params = arm("integrated")
    m = sim.SMEModel(pkg, seed=3, steps=10, n_smes=500, **params)
    before = list(m.agents_by_type[sim.SME])
    m.run()
    gone = [a for a in before if not a.alive]
    assert gone, "some firms exit within ten quarters"
    a = gone[0]
    assert a.stage == "exited"
    assert a not in m.agents_by_type[sim.SME]
    assert 0.0 <= a.competitiveness["skills"] <= 1.0
    assert len(m.agents_by_type[sim.SME]) == 500


def test_alliances_are_visible_from_both_sides(integrated):
    m = integrated.model
    for le in m.agents_by_type[sim.LargeEnterprise]:
        for sme in le.suppliers:
            assert sme.partner is le
            assert sme.stage == "gvc"
        assert len(le.suppliers) <= le.slots


def test_stage_counts_sum_to_the_live_population_every_step(integrated):
    ts = integrated.timeseries
    counts = ts[[f"n_{s}" for s in LIVE_STAGES]].sum(axis=1)
    assert (counts == ts["n_smes"]).all()
    shares = ts[[f"share_{s}" for s in LIVE_STAGES]].sum(axis=1)
    assert np.allclose(shares, 1.0)


def test_shares_stay_in_the_unit_interval(integrated):
    ts = integrated.timeseries
    share_cols = [c for c in ts.columns if c.startswith("share_") or c.endswith("participation")
                  or c.startswith("export_participation_") or c.startswith("mean_")]
    share_cols = [c for c in share_cols if c != "mean_size"]  # employees, not a share
    values = ts[share_cols].to_numpy(dtype=float)
    values = values[~np.isnan(values)]
    assert values.min() >= 0.0 and values.max() <= 1.0
    reg = integrated.regions
    for c in [c for c in reg.columns if c.startswith("share_") or c.endswith("participation")]:
        assert reg[c].between(0.0, 1.0).all()


def test_budget_spent_never_exceeds_budget_given(integrated):
    pkg = integrated.package
    ts = integrated.timeseries
    assert ts["budget_spent"].sum() <= pkg.total_budget + 1e-9
    assert ts["budget_spent"].sum() > 0.9 * pkg.total_budget, "a well-designed package spends its money"
    for slot in integrated.model.batch.governments.slots:
        assert slot.remaining[0] >= -1e-9, slot.entry.instrument
    # Spending is accounted by level, stage and region consistently.
    levels = ts[["budget_meta", "budget_macro", "budget_meso", "budget_micro"]].sum(axis=1)
    stages = ts[["budget_precondition", "budget_strengthening"]].sum(axis=1)
    assert np.allclose(levels, ts["budget_spent"]) and np.allclose(stages, ts["budget_spent"])
    by_region = integrated.regions.groupby("step")["budget_spent"].sum()
    assert np.allclose(by_region.to_numpy(), ts["budget_spent"].to_numpy())


def test_budget_by_level_and_stage_follows_the_package(integrated):
    ts = integrated.timeseries
    pkg = integrated.package
    spent_by_stage = {s: ts[f"budget_{s}"].sum() for s in ("precondition", "strengthening")}
    planned = pkg.budget_by("stage")
    for stage, amount in planned.items():
        assert spent_by_stage[stage] <= amount + 1e-9
        assert spent_by_stage[stage] > 0.8 * amount


def test_regional_table_adds_up_to_the_national_one(integrated):
    ts, reg = integrated.timeseries, integrated.regions
    assert len(reg) == len(ts) * integrated.model.world.n_regions
    for col in ("n_smes", "exits", "export_entries"):
        assert (reg.groupby("step")[col].sum().to_numpy() == ts[col if col != "n_smes" else "n_smes"]
                .to_numpy() if col != "export_entries" else
                reg.groupby("step")[col].sum().to_numpy() == ts["export_entries"].to_numpy()).all()


def test_the_population_stays_stable_through_renewal(integrated):
    ts = integrated.timeseries
    assert (ts["n_smes"] == ts["n_smes"].iloc[0]).all()
    assert (ts["entries"] == ts["exits"]).all()
    assert ts["exits"].iloc[1:].gt(0).all()


def test_same_seed_same_run_different_seed_different_run():
    pkg, params = arm("integrated")
    a = sim.run(pkg, seed=21, steps=12, n_smes=700, **params)
    b = sim.run(pkg, seed=21, steps=12, n_smes=700, **params)
    c = sim.run(pkg, seed=22, steps=12, n_smes=700, **params)
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries)
    pd.testing.assert_frame_equal(a.regions, b.regions)
    assert not a.timeseries.equals(c.timeseries)


def test_looking_at_agents_does_not_change_the_run():
    pkg, params = arm("integrated")
    quiet = sim.SMEModel(pkg, seed=4, steps=8, n_smes=400, **params)
    quiet.run()
    watched = sim.SMEModel(pkg, seed=4, steps=8, n_smes=400, **params)
    while watched.running:
        watched.step()
        [a.stage for a in watched.agents_by_type[sim.SME]]
    pd.testing.assert_frame_equal(quiet.recorder.timeseries(), watched.recorder.timeseries())


def test_run_returns_a_tidy_timeseries_and_summary(integrated):
    ts = integrated.timeseries
    assert list(ts["step"]) == list(range(41))
    for col in ("share_precondition", "share_strengthening", "share_exporting", "share_gvc",
                "export_participation", "gvc_participation", "exits", "entries", "alliances",
                "mean_competitiveness", "mean_connectivity", "budget_meta", "budget_macro",
                "budget_meso", "budget_micro", "budget_precondition", "budget_strengthening",
                "cost_per_new_exporter"):
        assert col in ts.columns, col
    s = integrated.summary
    assert s["budget_spent"] == pytest.approx(ts["budget_spent"].sum())
    assert s["new_exporters"] == ts["new_exporters"].sum()
    assert s["cost_per_new_exporter"] == pytest.approx(s["budget_spent"] / s["new_exporters"])
    assert integrated.seed == 7 and integrated.version == sim.__version__


def test_bad_parameters_are_refused_with_a_clear_message():
    with pytest.raises(sim.ParameterError, match="n_smse.*did you mean 'n_smes'"):
        sim.run(seed=1, n_smse=100)
    with pytest.raises(sim.ParameterError, match=r"coordination.*\[0.0, 1.0\]"):
        sim.run(seed=1, coordination=1.5)
    with pytest.raises(sim.ParameterError, match="whole number"):
        sim.run(seed=1, n_smes=10.5)
    with pytest.raises(ValueError, match="seed"):
        sim.run(seed=-1)


def test_the_model_scales_to_one_smes_region_and_no_les():
    res = sim.run(seed=2, steps=6, n_smes=50, n_regions=1, n_sectors=1, les_per_1000_smes=0.0)
    assert (res.timeseries["alliances"] == 0).all()
    assert len(res.regions) == len(res.timeseries)


def test_indices_stay_equal_to_a_full_recomputation():
    pkg, params = arm("integrated")
    m = sim.SMEModel(pkg, seed=9, steps=6, n_smes=600, **params)
    m.run()
    ix = m.indices.fresh()
    s = m.sme
    assert np.array_equal(ix.comp, s.competitiveness())
    assert np.array_equal(ix.conn, s.connectivity())
    from simulation.mechanisms.trade import capability
    assert np.array_equal(ix.cap, capability(s.competitiveness(), s.connectivity(), m.p["ces_rho"]))
    assert (s.size >= 1.0).all() and (s.size < 100.0).all()
    assert np.array_equal(s.size_class, np.searchsorted([5, 20], s.size, side="right"))


def test_finished_runs_are_freed():
    """Memory stays flat over many runs in one process (Mesa 3.3 would keep every model alive)."""
    import gc
    import weakref

    refs = []
    original = sim.SMEModel.__init__

    def spy(self, *a, **k):
        original(self, *a, **k)
        refs.append(weakref.ref(self))

    sim.SMEModel.__init__ = spy
    try:
        for seed in range(3):
            sim.run(seed=seed, steps=2, n_smes=100)
    finally:
        sim.SMEModel.__init__ = original
    gc.collect()
    assert all(r() is None for r in refs)


def test_mesas_reset_rng_leaves_the_model_runnable_and_its_results_unchanged():
    """Mesa's ``reset_rng`` reseeds Mesa's own generator; the model's streams are its own and are untouched."""
    a = sim.SMEModel(sim.PolicyPackage("none", ()), seed=4, steps=6, n_smes=300)
    b = sim.SMEModel(sim.PolicyPackage("none", ()), seed=4, steps=6, n_smes=300)
    b.reset_rng(99)
    a.run()
    b.run()
    pd.testing.assert_frame_equal(a.recorder.timeseries(), b.recorder.timeseries())


def test_a_runs_summary_and_a_sweeps_outcomes_mean_the_same_by_the_same_name(integrated):
    """One outcome table: summaries (run, compare) and sweeps read the same definitions."""
    from simulation.outcomes import SUMMARY, evaluate

    ts, summary = integrated.timeseries, integrated.summary
    swept = evaluate(ts, SUMMARY)
    for name in SUMMARY:
        assert summary[name] == pytest.approx(swept[name], nan_ok=True), name
    assert summary["exporters_gained"] == ts["exporters"].iloc[-1] - ts["exporters"].iloc[0]
    assert summary["sme_export_share"] == pytest.approx(ts.loc[ts["step"] > 0, "sme_export_share"].mean())
    assert summary["cost_per_new_exporter"] == pytest.approx(summary["budget_spent"] / summary["new_exporters"])

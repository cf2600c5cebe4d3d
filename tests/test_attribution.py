"""Shapley attribution: the values add up, a dummy gets nothing, twins get the same, interactions are found."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT

from simulation.experiments import attribution, shapley
from simulation.experiments.backends import make_backend
from simulation.policy import PackageEntry, PolicyPackage
from simulation.scenario import load

SMALL = {"n_smes": 200, "warmup_steps": 0}


def _small(name: str, **changes):
    s = load(name)
    return dataclasses.replace(s, params={**s.params, **SMALL}, steps=12, **changes)


def _attribute(scenario, tmp_path, seeds=(1, 2, 3), **kw):
    d = attribution.design(scenario, _small("no_policy"), seeds, **kw)
    backend = make_backend(1)
    try:
        results, _ = attribution.run(d, tmp_path, backend, ("new_exporters", "exporters"), quiet=True)
    finally:
        backend.close()
    return d, results, attribution.table(d, results, ("new_exporters", "exporters"))


# --- the arithmetic -------------------------------------------------------------------------

def _random_game(n: int, seeds: int, rng) -> dict:
    return {c: rng.normal(size=seeds) + len(c) ** 1.5 for c in shapley.all_coalitions(n)}


def test_exact_values_add_up_to_the_total_on_every_seed():
    worth = _random_game(4, 6, np.random.default_rng(1))
    est = shapley.estimate(worth, 4)
    np.testing.assert_allclose(est.per_seed.sum(axis=1), worth[frozenset(range(4))] - worth[frozenset()])
    assert est.exact and est.sampling_se == (0.0,) * 4


def test_sampled_orders_add_up_too_and_state_their_error():
    worth = _random_game(7, 5, np.random.default_rng(2))
    orders = shapley.orders(7, 12, seed=3)
    est = shapley.estimate({c: worth[c] for c in shapley.needed(7, orders)}, 7, orders)
    np.testing.assert_allclose(est.per_seed.sum(axis=1), worth[frozenset(range(7))] - worth[frozenset()])
    exact = shapley.estimate(worth, 7)
    assert any(se > 0 for se in est.sampling_se) and len(shapley.needed(7, orders)) < 2 ** 7
    for i in range(7):  # the exact value lies within the sampled value's interval (error stated)
        assert est.values[i].low - 1e-9 <= exact.values[i].mean <= est.values[i].high + 1e-9


def test_known_games_through_the_custom_model_hook(tmp_path):
    for target, values, interaction in (("simulation.sensitivity.known:additive_game", (3, 2, 1), 0.0),
                                        ("simulation.sensitivity.known:complementary_game", (2, 2, 1), 4.0)):
        d = attribution.design_model(target, ("a", "b", "c"), list(range(30)))
        backend = make_backend(1)
        try:
            results, _ = attribution.run(d, tmp_path / target.split(":")[1], backend, ("value",), quiet=True)
        finally:
            backend.close()
        t = attribution.table(d, results, ("value",)).set_index("player")
        for name, want in zip("abc", values):
            assert t.loc[name, "ci_low"] <= want <= t.loc[name, "ci_high"], (target, name)
        inter = t.loc["interaction"]
        assert inter["ci_low"] <= interaction <= inter["ci_high"], target
        if interaction:  # complementary: positive, its interval clear of zero
            assert inter["ci_low"] > 0
        total = t.loc["total", "shapley"]
        assert t.loc[list("abc"), "shapley"].sum() == pytest.approx(total)


# --- on the simulation ------------------------------------------------------------------------

def test_a_zero_budget_entry_gets_nothing_and_twins_get_the_same(tmp_path):
    base = _small("no_policy")
    training = PackageEntry("capacity_training", budget=300.0, name="training_1")
    entries = (training, dataclasses.replace(training, name="training_2"),
               PackageEntry("export_promotion", budget=0.0, name="dummy"))
    scenario = dataclasses.replace(base, name="twins", package=PolicyPackage("twins", entries))
    d, _, t = _attribute(scenario, tmp_path)
    assert d.sampled is None and d.names == ("training_1", "training_2", "dummy")
    for out in ("new_exporters", "exporters"):
        rows = t[(t["outcome"] == out)].set_index("player")
        assert rows.loc["dummy", "ci_low"] <= 0 <= rows.loc["dummy", "ci_high"]
        assert rows.loc["dummy", "shapley"] == pytest.approx(0.0, abs=1e-9)  # exactly: the same runs
        # Twins draw their recipients from streams of their own (keyed by name): equal up to seed noise.
        one, two = rows.loc["training_1"], rows.loc["training_2"]
        halves = (one["ci_high"] - one["ci_low"] + two["ci_high"] - two["ci_low"]) / 2
        assert abs(one["shapley"] - two["shapley"]) <= halves, (out, one, two)
        players = rows[rows["kind"] == "player"]["shapley"].sum()
        assert players == pytest.approx(rows.loc["total", "shapley"])
        assert "settings" not in rows.index  # twins' settings are the baseline's


def test_indonesia_is_exact_and_groups_by_level(tmp_path):
    s = _small("indonesia_2014")
    d = attribution.design(s, _small("no_policy"), [1, 2])
    assert d.sampled is None and len(d.names) == 5 and len({c for c, _ in d.cells}) == 32
    by_level = attribution.players(s, "level")
    assert sorted(k for p in by_level for k in p.entries) == list(range(5))
    assert all(p.name.endswith(" level") for p in by_level)


def test_a_coalition_loses_its_missing_entries_money_unless_reallocated():
    s = load("indonesia_2014")
    team = attribution.players(s)
    one = frozenset([1])
    lost = attribution.coalition_scenario(s, load("no_policy"), team, one)
    assert lost.package.total_budget == pytest.approx(s.package.entries[1].budget)
    moved = attribution.coalition_scenario(s, load("no_policy"), team, one, reallocate=True)
    assert moved.package.total_budget == pytest.approx(s.package.total_budget)
    full = attribution.coalition_scenario(s, load("no_policy"), team, frozenset(range(5)), reallocate=True)
    assert full.package.entries == s.package.entries


def test_settings_that_differ_from_the_baseline_are_a_row_of_their_own(tmp_path):
    s = _small("fragmented")  # coordination 0.1 against no_policy's default
    d, _, t = _attribute(dataclasses.replace(s, package=PolicyPackage("f", s.package.entries[:2])), tmp_path,
                         seeds=(1, 2))
    assert d.settings and set(t["kind"]) == {"player", "total", "interaction", "settings"}


def test_ratio_outcomes_are_refused():
    with pytest.raises(ValueError, match="add up"):
        attribution.check_outcomes(["new_exporters_per_musd"])
    assert attribution.check_outcomes(["new_exporters"]) == ["new_exporters"]


def test_the_command_writes_its_folder_and_resumes_to_the_same_table(tmp_path):
    def attribute(*args):
        return subprocess.run([sys.executable, str(ROOT / "run.py"), "attribute", *args], cwd=ROOT,
                              capture_output=True, text=True, timeout=600)

    out = tmp_path / "game"
    args = ["--model", "simulation.sensitivity.known:complementary_game", "--players", "a,b,c",
            "--outcomes", "value", "--seeds", "8", "--workers", "1", "--quiet"]
    first = attribute(*args, "--out", str(out))
    assert first.returncode == 0, first.stderr
    table = pd.read_csv(out / "attribution.csv")
    assert (out / "report.html").exists() and set(table["kind"]) == {"player", "total", "interaction"}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["method"] == "exact"
    # an interrupted folder (the table and completion removed) resumes to the same table
    (out / "attribution.csv").unlink()
    manifest["status"] = "running"
    (out / "manifest.json").write_text(json.dumps(manifest))
    refused = attribute("--resume", str(out), "--quiet")  # the model named only by the folder is never imported
    assert refused.returncode == 2 and "a resume never imports code a folder names" in refused.stderr
    assert not (out / "attribution.csv").exists()
    again = attribute("--resume", str(out), "--model", "simulation.sensitivity.known:complementary_game", "--quiet")
    assert again.returncode == 0, again.stderr
    pd.testing.assert_frame_equal(pd.read_csv(out / "attribution.csv"), table)
    bad = attribute("--model", "x:y", "--outcomes", "value")
    assert bad.returncode == 2 and "--players" in bad.stderr and "Traceback" not in bad.stderr
    ratio = attribute("indonesia_2014", "--outcomes", "new_exporters_per_musd")
    assert ratio.returncode == 2 and "add up" in ratio.stderr

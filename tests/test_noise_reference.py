"""Seed noise is not read as effect: the reference input of every method, interactions and rankings read
against noise, second-order indices flagged where the sample cannot resolve them.

Each test runs the whole sweep machinery on a known model through the custom-model hook, with a positive
and a null control in the same model, so a reading that names nothing (or everything) fails.
"""

from __future__ import annotations

import pandas as pd
import pytest

from simulation.params import ALL, DUMMY  # noqa: F401 - ALL is read by the query strings (@ALL)
from simulation.reporting.sweep_reading import ranking_sentences, readings, second_order_sentence, split_ranking
from simulation.sensitivity import METHODS, known, sweep_model
from simulation.sensitivity.design import SweepConfig, build, stream_seed

# Sample sizes: Sobol' and eFAST per input, Morris trajectories, the given-data methods points. delta is
# SALib's slowest analyzer (20 reference columns are scored too), hence its smaller sample.
SIZES = {"sobol": 512, "morris": 500, "fast": 1024, "rbd_fast": 1024, "delta": 256, "pawn": 1024}


def value(indices: pd.DataFrame, parameter: str, index: str) -> float:
    row = indices[(indices["parameter"] == parameter) & (indices["index"] == index)]
    return float(row["value"].iloc[0])


@pytest.mark.parametrize("method", list(METHODS))
def test_an_input_that_only_redraws_the_noise_is_not_named_and_a_real_effect_is(method):
    out = sweep_model(known.redraw_only, known.NOISE_INPUTS, method=method, samples=SIZES[method])
    reading = readings(out["indices"], METHODS[method])["y"]
    assert reading.top == ["x2"], (method, reading)  # x2: two noise sds; x1 only redraws; x3 never read
    assert (out["indices"]["parameter"] == DUMMY).any()  # the report shows the reference beside the indices


@pytest.mark.parametrize("method", ["sobol", "morris"])
def test_the_seed_reference_scores_the_noise_and_nothing_on_a_deterministic_model(method):
    noisy = sweep_model(known.redraw_only, known.NOISE_INPUTS, method=method, samples=SIZES[method])
    ref, redraw = (value(noisy["indices"], p, METHODS[method].MAIN) for p in (DUMMY, "x1"))
    assert ref > 0.3 * redraw > 0  # redrawing the noise scores about what x1 scores
    if method == "sobol":  # the noise is 3/4 of the variance here (var 1 against 1/3 for 2 x2)
        assert ref == pytest.approx(0.75, abs=0.15)
    flat = sweep_model(known.ishigami, known.ISHIGAMI_INPUTS, method=method, samples=SIZES[method] // 2)
    assert (flat["indices"].query("parameter == @DUMMY")["value"].abs() < 1e-12).all()


def test_the_seed_reference_rekeys_the_streams_and_nothing_else():
    cfg = SweepConfig(model="simulation.sensitivity.known:redraw_only", samples=8,
                      inputs={k: list(v) for k, v in known.NOISE_INPUTS.items()}, outputs=["y"])
    design = build(cfg)
    seeds = {s.run_id: s.seed for s in design.specs}
    keys = design.points.set_index("point")[DUMMY]
    analysis = design.runs[design.runs["role"] == "analysis"]
    for r in analysis.itertuples():  # every run's seed is its replicate seed re-keyed by its point's value
        assert seeds[r.run_id] == stream_seed(r.seed, keys[r.point])
    assert stream_seed(5, 0.25) == stream_seed(5, 0.25) != stream_seed(5, 0.75)
    # a deterministic model has nothing to re-key: the reference adds no run
    det = SweepConfig(model="simulation.sensitivity.known:ishigami", samples=8,
                      inputs={k: list(v) for k, v in known.ISHIGAMI_INPUTS.items()}, outputs=["y"])
    assert not det.reseeds() and len(build(det).specs) == 8 * (3 + 2)


def test_without_the_reference_every_point_shares_its_seeds_and_a_common_shift_cancels():
    shared = sweep_model(known.noisy_sum, {"x1": (0.0, 1.0), "x2": (0.0, 1.0)}, samples=128, dummy=False)
    own = sweep_model(known.noisy_sum, {"x1": (0.0, 1.0), "x2": (0.0, 1.0)}, samples=128)
    assert shared["noise"]["streams"].iloc[0] == "shared" and shared["noise"]["noise_share"].iloc[0] < 0.15
    # with the reference, the seed's shift (sd 3) is noise like any other, and the reference measures it
    assert own["noise"]["streams"].iloc[0] == "own" and own["noise"]["noise_share"].iloc[0] > 0.8
    assert value(own["indices"], DUMMY, "ST") > 0.8


@pytest.mark.parametrize(("model", "shown"), [(known.additive_noisy, False), (known.interacting_noisy, True)])
def test_interactions_are_read_against_the_noise(model, shown):
    out = sweep_model(model, known.NOISE_INPUTS, samples=1024)
    text = ranking_sentences(out["indices"], "sobol", METHODS["sobol"], {})["y"]
    assert ("Interactions matter" in text) is shown, text
    assert ("No interaction is shown" in text) is not shown, text
    inter = out["indices"].query("parameter == @ALL and index == 'interactions'").iloc[0]
    if shown:  # the product term's share: 1/9 of a variance of 1/6 + 1/9 + noise
        assert inter["value"] - inter["conf"] > 0
    else:
        assert inter["value"] - inter["conf"] <= 0 <= inter["value"] + inter["conf"]


def test_without_the_reference_interactions_need_the_sum_below_one_minus_the_noise():
    rows = [("a", "S1", 0.45, 0.02), ("b", "S1", 0.40, 0.02), ("a", "ST", 0.5, 0.02), ("b", "ST", 0.45, 0.02)]
    table = pd.DataFrame(rows, columns=["parameter", "index", "value", "conf"]).assign(output="y", year=pd.NA)
    # ΣS1 = 0.85 (at most 0.88): with no noise, 12% at least is interaction; with noise up to 15%, none is shown
    quiet = ranking_sentences(table, "sobol", METHODS["sobol"], {}, noise_high={"y": 0.0})["y"]
    noisy = ranking_sentences(table, "sobol", METHODS["sobol"], {}, noise_high={"y": 0.15})["y"]
    assert "Interactions matter" in quiet and "at least 12%" in quiet
    assert "No interaction is shown" in noisy and "Interactions matter" not in noisy


def test_a_ranking_names_every_parameter_tied_with_the_last_one_named():
    m = pd.DataFrame({"value": [0.5, 0.13, 0.12, 0.12, 0.05], "conf": [0.02, 0.01, 0.01, 0.01, 0.01]},
                     index=["a", "b", "c", "d", "e"])
    top, unclear, negligible = split_ranking(m, 0.01)
    assert top == ["a", "b", "c", "d"] and "e" not in top  # d ties c (the third); e is clearly below
    assert split_ranking(m.assign(conf=0.0), 0.01)[0] == ["a", "b", "c", "d"]  # exact tie without intervals too
    apart = m.assign(value=[0.5, 0.3, 0.2, 0.1, 0.05])
    assert split_ranking(apart, 0.01)[0] == ["a", "b", "c"]


def test_second_order_indices_below_resolution_are_flagged_with_the_n_that_would_resolve_them():
    out = sweep_model(known.g_function, known.g_inputs(), samples=256, options={"second_order": True})
    s2 = out["indices"].query("index == 'S2'")
    text = second_order_sentence(s2, 256)
    resolved = s2[s2["conf"] < s2["value"].abs()]
    if resolved.empty:
        assert "No second-order index is resolved" in text and "about N = " in text
    else:
        assert "Resolved second-order indices" in text
        assert all(p in text for p in resolved["parameter"].head(3))
    # a made-up table: an interval twice the estimate needs four times the sample (rounded up to a power of 2)
    fake = pd.DataFrame({"parameter": ["x1 x x2"], "index": ["S2"], "value": [0.05], "conf": [0.1]})
    assert "about N = 4,096" in second_order_sentence(fake, 1024)
    fine = fake.assign(conf=0.01)
    assert "Resolved second-order indices: x1 x x2" in second_order_sentence(fine, 1024)


def test_the_sum_and_interaction_rows_are_one_bootstrap_of_the_same_resamples():
    out = sweep_model(known.ishigami, known.ISHIGAMI_INPUTS, samples=1024)
    idx = out["indices"]
    s1 = idx.query("index == 'S1' and parameter not in [@DUMMY, @ALL]")["value"].sum()
    row = idx.query("parameter == @ALL").set_index("index")
    assert row.at["S1 sum", "value"] == pytest.approx(s1)
    # Ishigami: x1 and x3 interact (1 − ΣS1 = 0.24 analytically); deterministic, so the reference takes 0
    exact = known.ishigami_indices()["S1"]
    assert row.at["interactions", "value"] == pytest.approx(1 - sum(exact.values()), abs=0.06)
    assert row.at["interactions", "value"] - row.at["interactions", "conf"] > 0

"""How a sweep's indices are read (issue 15): a reference input the model never reads, intervals that decide
only where they can be trusted, and "interactions matter" said only when the intervals allow it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from SALib.test_functions import Ishigami

from simulation.cli.parser import build_parser
from simulation.params import DUMMY
from simulation.reporting.sweep_reading import ranking_sentences
from simulation.reporting.sweep_trends import indices_over_time
from simulation.sensitivity import METHODS, analysis, design
from simulation.sensitivity.design import SweepConfig

# Ishigami over x1..x3, and x4, which it never reads
PROBLEM = {"num_vars": 4, "names": ["x1", "x2", "x3", "x4"], "bounds": [[-np.pi, np.pi]] * 4}


def indices_of(method: str, n: int, dummy: bool = True) -> pd.DataFrame:
    m = METHODS[method]
    options = {k: o.default for k, o in m.OPTIONS.items()}
    if "num_resamples" in options:
        options["num_resamples"] = 20
    X = m.sample(PROBLEM, n, seed=2, options=options)
    means = pd.DataFrame({"y": Ishigami.evaluate(X[:, :3])}).rename_axis("point")
    table, skipped = analysis.analyze(m, PROBLEM, X, means, [("y", None, "y")], seed=3, options=options,
                                      dummy=dummy)
    assert not skipped
    return table


def table(rows: list[tuple[str, str, float, float]]) -> pd.DataFrame:
    return pd.DataFrame([{"output": "exits", "year": pd.NA, "parameter": p, "index": i, "value": v, "conf": c}
                         for p, i, v, c in rows])


@pytest.mark.parametrize("method", ["pawn", "delta", "rbd_fast"])
def test_given_data_methods_score_a_reference_input_and_place_the_inert_one_near_it(method):
    t = indices_of(method, 400)
    main = METHODS[method].MAIN
    ref = t[(t["parameter"] == DUMMY) & (t["index"] == main)]
    assert len(ref) == 1 and ref["value"].iloc[0] > 0 and ref["conf"].isna().all()
    got = t[t["index"] == main].set_index("parameter")["value"]
    # the strong inputs stand clear of what an input the model never reads scores
    assert min(got["x1"], got["x2"]) > got[DUMMY]
    assert (indices_of(method, 400, dummy=False)["parameter"] != DUMMY).all()


def test_pawn_inert_inputs_score_far_above_zero_so_a_fixed_cut_would_name_them():
    """Issue 15: 20 dummy columns had a median KS of 0.146; a cut of 0.01 called such a value a driver."""
    t = indices_of("pawn", 300)
    median = t[t["index"] == "median"].set_index("parameter")["value"]
    assert median[DUMMY] > 0.1 and median["x4"] > 0.05


def test_a_parameter_below_the_reference_level_is_not_named_a_driver():
    pawn = METHODS["pawn"]
    t = table([("x1", "median", 0.52, 0.03), ("x2", "median", 0.41, 0.03), ("x4", "median", 0.17, 0.02),
               (DUMMY, "median", 0.197, np.nan)])
    text = ranking_sentences(t, "pawn", pawn, {})["exits"]
    assert "x1 (median 0.52 ± 0.03), then x2" in text
    assert "x4 has no detectable effect (not clear of 0.20, the top of what an input the model never reads " \
           "scores)" in text
    without = ranking_sentences(t[t["parameter"] != DUMMY], "pawn", pawn, {})["exits"]
    assert "then x2 (0.41 ± 0.03) and x4" in without  # what the report said before the reference input


def test_efast_intervals_are_shown_but_decide_nothing():
    rows = [("x1", "ST", 0.40, 0.60), ("x1", "S1", 0.30, 0.50), ("x2", "ST", 0.005, 0.001),
            ("x2", "S1", 0.004, 0.001)]
    efast = ranking_sentences(table(rows + [(DUMMY, "ST", 0.02, 0.01), (DUMMY, "S1", 0.01, 0.01)]), "fast",
                              METHODS["fast"], {})["exits"]
    assert "is driven mostly by x1 (ST 0.40 ± 0.60)" in efast and "x2 has no detectable effect" in efast
    assert "intervals are unreliable" in efast
    # the same numbers from Sobol', whose intervals are trusted: x1 is not settled
    sobol = ranking_sentences(table(rows), "sobol", METHODS["sobol"], {})["exits"]
    assert "shows no effect of a swept parameter that this sample tells apart from 0" in sobol
    assert "x1 (0.40 ± 0.60) has a large estimate but its interval includes 0" in sobol


@pytest.mark.parametrize("conf, expected", [
    (0.02, "Interactions matter: the first-order indices add up to 0.50 (at most 0.53"),
    (0.40, "No interaction is shown: the first-order indices add up to 0.50 (up to 1.07"),
])
def test_interactions_are_claimed_only_when_the_first_order_intervals_allow(conf, expected):
    t = table([("a", "ST", 0.7, 0.05), ("a", "S1", 0.3, conf), ("b", "ST", 0.5, 0.05), ("b", "S1", 0.2, conf)])
    text = ranking_sentences(t, "sobol", METHODS["sobol"], {})["exits"]
    assert expected in text
    assert ("Interactions matter" in text) == (conf < 0.1)


def test_additive_outputs_claim_no_interactions():
    t = table([("a", "ST", 0.6, 0.05), ("a", "S1", 0.58, 0.03), ("b", "ST", 0.4, 0.05), ("b", "S1", 0.39, 0.03)])
    assert "together" not in ranking_sentences(t, "sobol", METHODS["sobol"], {})["exits"]


def test_sobol_morris_and_efast_carry_the_reference_input_in_their_design():
    params = ["comp_mean", "conn_mean"]
    fast = SweepConfig(method="fast", samples=65, params=params, steps=4)
    fast.validate()
    d = design.build(fast)
    assert d.problem["names"] == [*params, DUMMY] and DUMMY in d.points.columns
    assert all(DUMMY not in spec.params for spec in d.specs)  # the model never sees it
    off = SweepConfig(method="fast", samples=65, params=params, steps=4, dummy=False)
    assert off.problem()["names"] == params
    # Sobol' and Morris: the seed reference, which re-keys the streams (the simulation takes a seed)
    for method, n in (("sobol", 8), ("morris", 4)):
        cfg = SweepConfig(method=method, samples=n, params=params, steps=4)
        d = design.build(cfg)
        assert cfg.problem()["names"] == [*params, DUMMY] and cfg.reseeds()
        assert all(DUMMY not in spec.params for spec in d.specs)
        assert len({spec.seed for spec in d.specs}) > 1  # the reference's values gave points their own streams


def test_the_command_line_turns_the_reference_input_off():
    parser = build_parser()
    assert parser.parse_args(["sweep", "--no-dummy"]).dummy is False
    assert parser.parse_args(["sweep"]).dummy is None  # the file's setting, or the default (on)


def test_a_per_year_sweep_draws_the_strongest_parameters_year_by_year():
    rows = [("a", "ST", 0.6, 0.05), ("b", "ST", 0.3, 0.05), ("c", "ST", 0.01, 0.01)]
    horizon = table(rows)
    yearly = pd.concat([table(rows).assign(year=y, value=lambda d, y=y: d["value"] * y / 10) for y in (1, 2, 3)])
    fig = indices_over_time(pd.concat([horizon, yearly], ignore_index=True), "ST")
    lines = fig.axes[0].get_lines()
    drawn = {line.get_label() for line in lines if not line.get_label().startswith("_")}
    assert drawn == {"a", "b", "c"} and all(len(line.get_xdata()) == 3 for line in lines if line.get_label() in drawn)
    assert indices_over_time(horizon, "ST") is None  # no per-year rows: no figure

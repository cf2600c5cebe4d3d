"""docs/hypotheses.md's verdicts, from a hand-made effects table (no model runs)."""

from __future__ import annotations

import pandas as pd

from simulation.experiments.ablation import ALL_NAMED, DEFAULTS, Direction
from simulation.reporting.hypotheses import direction_verdict, markdown, sign_verdict

D = Direction("lib", "Support changes what a cut does.", (("a", 1), ("b", -1)), ("exits", "exporters"),
              ("import_competition",), ("model.enforce",), expect=-1, claims=(("exporters", 1),))


def _table(exits: tuple[float, float, float], exporters: tuple[float, float, float],
           off: float) -> pd.DataFrame:
    rows, default = [], {"exits": exits[0], "exporters": exporters[0]}
    for variant, (e, x) in {DEFAULTS: (exits, exporters), ALL_NAMED: ((off, off - 1, off + 1), (0, -1, 1))}.items():
        for outcome, (mean, lo, hi) in (("exits", e), ("exporters", x)):
            rows.append({"direction": "lib", "variant": variant, "outcome": outcome, "seeds": 50, "effect": mean,
                         "ci_low": lo, "ci_high": hi, "share_of_default": mean / default[outcome]})
    return pd.DataFrame(rows)


def test_sign_verdicts():
    row = pd.Series({"ci_low": 1.0, "ci_high": 3.0})
    assert sign_verdict(row, 1).startswith("holds") and sign_verdict(row, -1).startswith("reversed")
    assert sign_verdict(pd.Series({"ci_low": -1.0, "ci_high": 3.0}), 1).startswith("not shown")
    assert sign_verdict(pd.Series({"ci_low": -1.0, "ci_high": 3.0}), 0) == "no detectable difference"


def test_a_further_claim_is_judged_apart_from_the_first_outcome():
    """Exits fall as claimed, exporters do not detectably rise: the report says both, not just 'holds'."""
    table = _table(exits=(-6.5, -11.7, -1.3), exporters=(1.7, -1.4, 4.8), off=0.8)
    holds, carried = direction_verdict(table, D)
    assert holds.startswith("holds") and carried.startswith("yes")
    text = markdown(table, [D], seeds=50, n_smes=2000, command="run.py ablate")
    assert "on exits: holds" in text and "on exporters: not shown" in text
    assert "- Also claimed, exporters higher: not shown (the 95% interval includes zero); 1.7 [-1.4, 4.8]." in text


def test_a_reversal_with_the_named_mechanisms_off_is_carried_and_more():
    table = _table(exits=(-10.0, -12.0, -8.0), exporters=(3.0, 1.0, 5.0), off=7.0)
    assert direction_verdict(table, D)[1].startswith("yes, and more") and "-70%" in direction_verdict(table, D)[1]


def test_carried_is_not_judged_where_the_claim_does_not_hold():
    table = _table(exits=(-2.0, -5.0, 1.0), exporters=(3.0, 1.0, 5.0), off=-2.0)
    assert direction_verdict(table, D)[1].startswith("not applicable (the claim is not shown")


def test_not_carried_when_the_named_mechanisms_leave_most_of_the_effect():
    table = _table(exits=(-10.0, -12.0, -8.0), exporters=(3.0, 1.0, 5.0), off=-7.0)
    holds, carried = direction_verdict(table, D)
    assert carried.startswith("NO") and "70%" in carried
    assert "on exporters: holds" in markdown(table, [D], seeds=50, n_smes=2000, command="run.py ablate")


def _worlds():
    from simulation.reporting.hypotheses import worlds_table
    summary = pd.DataFrame([
        {"claim": "lib", "outcome": "exits", "expect": -1, "points": 100, "holds": 0.62, "unclear": 0.35,
         "fails": 0.03, "claimed_sign": 0.9, "signal_to_noise": 2.0, "default_verdict": "holds"},
        {"claim": "lib @ exporters", "outcome": "exporters", "expect": 1, "points": 100, "holds": 0.1,
         "unclear": 0.6, "fails": 0.3, "claimed_sign": 0.4, "signal_to_noise": 3.0, "default_verdict": "unclear"}])
    boxes = pd.DataFrame([
        {"claim": "lib @ exporters", "of": "fails", "parameter": "knowledge_cost", "significant": True,
         "finding": True, "words": "knowledge_cost above 1.4"},
        {"claim": "lib @ exporters", "of": "fails", "parameter": "need_noise", "significant": False,
         "finding": True, "words": "need_noise below 0.3"}])
    cart = pd.DataFrame([{"claim": "lib @ exporters", "verdict": "fails", "rule": "knowledge_cost > 1.4",
                          "cv_accuracy": 0.5, "majority": 0.6}])
    return worlds_table(summary, boxes, cart)


def test_plausible_worlds_name_the_significant_region_where_a_claim_fails_and_only_that():
    w = _worlds().set_index("claim")
    assert w.at["lib @ exporters", "prim_fails_where"] == "knowledge_cost above 1.4"
    assert w.at["lib", "prim_fails_where"] == ""
    assert w.at["lib @ exporters", "cart_fails_where"] == ""  # the tree predicts worse than the commonest verdict


def test_the_share_of_plausible_worlds_stands_beside_each_verdict_and_its_blocks_can_be_rewritten():
    from simulation.reporting.hypotheses import (
        GLANCE,
        WORLDS,
        WORLDS_COMMAND,
        glance,
        replace_block,
        verdicts,
        worlds_section,
    )
    table = _table(exits=(-6.5, -11.7, -1.3), exporters=(1.7, -1.4, 4.8), off=0.8)
    text = markdown(table, [D], seeds=50, n_smes=2000, command="run.py ablate")
    assert "Not run yet" in text and "holds in plausible worlds" not in text
    worlds = _worlds()
    again = replace_block(text, GLANCE, glance(verdicts(table, [D]), [D], worlds))
    again = replace_block(again, WORLDS, worlds_section(worlds, WORLDS_COMMAND))
    assert again == markdown(table, [D], seeds=50, n_smes=2000, command="run.py ablate", worlds=worlds)
    assert "| exits: holds | 62% (fails 3%) |" in again
    assert "| lib @ exporters | exporters | 10% | 60% | 30% | 40% | unclear | knowledge_cost above 1.4 |" in again
    assert "Not run yet" not in again


def test_an_effect_moves_with_the_number_that_drives_it_and_not_with_noise():
    import numpy as np

    from simulation.reporting.hypotheses import moves_with
    rng = np.random.default_rng(0)
    n = 100
    x = {f"x{i}": rng.uniform(size=n) for i in range(20)}
    effects = pd.DataFrame({"claim": "c", "kind": "sample", **x, "effect": -2 * x["x3"] + rng.normal(0, 0.3, n)})
    assert moves_with(effects, "c", list(x)).startswith("x3 (rho -0.")
    assert moves_with(effects.assign(effect=rng.normal(size=n)), "c", list(x)) == ""

"""The optimization report's sentences, figures and report.html, from hand-made tables (no model runs)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulation.reporting.optimize import sentences, write_report

EVIL = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
TWO = [("new_exporters", "max"), ("gvc_participation", "max")]
THREE = [*TWO, ("exits", "min")]
INSTRUMENTS = ("export_promotion", "export_credit", "trade_fairs")
# package: (new exporters, GVC participation, exits), each with a half-width of its 95% interval
LEVELS = {1: (160.0, 0.150, 35.0), 2: (175.0, 0.135, 34.0), 3: (170.0, 0.128, 36.0), 4: (200.0, 0.110, 33.0)}
HALF = {"new_exporters": 6.0, "gvc_participation": 0.004, "exits": 3.0}


def _shares(k: int, instruments: tuple[str, ...]) -> dict[str, float]:
    w = np.roll(np.arange(1, len(instruments) + 1, dtype=float), k)
    return {f"share_{i}": float(s) for i, s in zip(instruments, w / w.sum())}


def _front(objectives=THREE, instruments=INSTRUMENTS, gain: dict[str, tuple[float, float, float]] | None = None,
           budget: float | None = 2400.0) -> pd.DataFrame:
    """Four packages; package 3 is beaten on the new seeds (by 2 on every objective) and drops off the front.
    Every gain is clearly positive unless ``gain`` gives an objective's (mean, low, high)."""
    rows = []
    for k, levels in LEVELS.items():
        row = {"package": k, "on_front_after_reevaluation": k != 3, **_shares(k, instruments)}
        for (name, _), value in zip(objectives, levels):
            h = HALF[name]
            g = (gain or {}).get(name, (value / 5, value / 5 - h, value / 5 + h))
            row.update({name: value, f"{name}_low": value - h, f"{name}_high": value + h, f"{name}_gain": g[0],
                        f"{name}_gain_low": g[1], f"{name}_gain_high": g[2]})
        if budget is not None:
            row["budget"] = budget
        rows.append(row)
    return pd.DataFrame(rows)


def _history(objectives=THREE, instruments=INSTRUMENTS, generations: int = 4, size: int = 8) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for g in range(1, generations + 1):  # counted from 1, as the search numbers them
        for _ in range(size):
            w = rng.dirichlet(np.ones(len(instruments)))
            row = {"generation": g, **{f"share_{i}": float(s) for i, s in zip(instruments, w)}}
            for name, _ in objectives:
                base = {"new_exporters": 140.0, "gvc_participation": 0.11, "exits": 36.0}[name]
                row[name] = base * (1 + rng.normal(0, 0.08))
            rows.append(row)
    return pd.DataFrame(rows)


def _robust(objectives=THREE) -> pd.DataFrame:
    # package 2 beats the control on new exporters in most worlds, and still does in its worst tenth
    share = {1: 0.6, 2: 0.9, 3: 0.7, 4: 0.8}
    worst = {1: -3.0, 2: 2.5, 3: -1.0, 4: -6.0}
    return pd.DataFrame([{"package": k, **{c: v for name, _ in objectives for c, v in (
        (f"{name}_share_better", share[k]), (f"{name}_worst_decile", worst[k]),
        (f"{name}_median_gain", 8.0))}} for k in LEVELS])


def test_the_report_and_its_figures_are_written_with_an_empty_manifest(tmp_path):
    path = write_report(tmp_path, _history(), _front(), _robust(), THREE, {})
    assert path == tmp_path / "report.html"
    html = path.read_text(encoding="utf-8")
    for name in ("front", "shares", "robust"):
        assert (tmp_path / "figures" / f"{name}.png").stat().st_size > 1000
    assert html.count("data:image/png;base64,") == 3
    assert "Packages on a front" in html and "run.py optimize" in html
    assert "front/package_&lt;k&gt;.toml" in html
    assert "2,400 kUSD" in html


def test_an_instrument_name_with_markup_is_escaped(tmp_path):
    instruments = ("export_credit", EVIL)
    manifest = {"title": f"optimize: {EVIL}", "scenario": {"name": EVIL}, "baseline": {"name": EVIL},
                "instruments": list(instruments), "seeds": [1, 2], "reeval_seeds": list(range(20)),
                "population": 8, "generations": 4, "budget": 2400.0, "git_commit": EVIL}
    html = write_report(tmp_path, _history(TWO, instruments), _front(TWO, instruments), None, TWO,
                        manifest).read_text(encoding="utf-8")
    assert EVIL not in html and "<script" not in html
    assert f"<th>share_{ESCAPED}</th>" in html
    assert f"scenario <b>{ESCAPED}</b>, gains against <b>{ESCAPED}</b>" in html
    assert f"export_credit, {ESCAPED}" in html  # the instruments in the provenance line
    assert (tmp_path / "figures" / "shares.png").stat().st_size > 1000


def test_a_gain_whose_interval_includes_zero_is_not_distinguishable():
    lines = sentences(_front(TWO, gain={"new_exporters": (3.0, -2.0, 8.0)}), None, TWO)
    best = next(line for line in lines if line.startswith("On new exporters"))
    assert "package 4 does best: 200 new exporters (95% interval 194 to 206)" in best
    assert "gain over the control is not distinguishable from zero (+3.0 new exporters, 95% interval -2.0 to " \
           "+8.0)" in best
    assert "Against the control it gives" not in best
    assert "new exporters not distinguishable for 4" in " ".join(lines)


def test_sentences_name_the_front_the_best_package_the_trade_off_and_the_budget():
    lines = sentences(_front(), _robust(), THREE)
    text = " ".join(lines)
    assert lines[0].startswith("The search ended with 4 distinct packages on its front; re-evaluated on new "
                               "seeds, 3 of them stay on it. Package 3 drops off")
    assert "Against the control it gives +40.0 new exporters (95% interval +34.0 to +46.0): better" in text
    assert "its interval overlaps no other package's" in text
    # new exporters best in package 4, GVC participation in package 1; their intervals are apart on both
    assert ("New exporters and GVC participation pull against each other: package 4 is best on new exporters "
            "(200 new exporters against 160 from package 1), package 1 on GVC participation (GVC participation "
            "of 15.0% against 11.0% from package 4)") in text
    assert "the trade-off is beyond the seeds' noise" in text
    assert ("package 2 beats the control on new exporters in the largest share of them, 90%" in text
            and "in its worst tenth of worlds +2.5 new exporters, so even there it does better" in text)
    assert "Every package spends the same budget, 2,400 kUSD" in text
    assert "front/package_<k>.toml" in text


def test_overlapping_intervals_do_not_show_a_trade_off_and_a_min_objective_gain_above_zero_is_worse():
    front = _front(gain={"exits": (4.0, 1.0, 7.0)})
    front.loc[front["package"] == 1, "new_exporters_high"] = 199.0  # overlaps package 4's 194 to 206
    text = " ".join(sentences(front, None, THREE))
    assert "Their 95% intervals overlap on new exporters, so these seeds do not show the trade-off" in text
    assert "the interval of package 1 overlaps its own" in text
    assert "exits worse for 4" in text


def test_no_robust_table_and_three_objectives(tmp_path):
    html = write_report(tmp_path, _history(), _front(), None, THREE, {}).read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == 2
    assert not (tmp_path / "figures" / "robust.png").exists()
    assert "Across sampled worlds" not in html
    assert not any("sampled worlds" in line for line in sentences(_front(), None, THREE))


def test_a_model_search_without_shares_or_budget_and_one_objective(tmp_path):
    one = [("new_exporters", "max")]
    front = _front(one, instruments=(), budget=None).assign(x=0.7, y=0.2)
    history = _history(one, instruments=()).assign(x=0.5, y=0.5)
    lines = sentences(front, None, one)
    assert not any("budget" in line or "package_<k>" in line for line in lines)
    html = write_report(tmp_path, history, front, None, one, {"model": "pkg.m:f"}).read_text(encoding="utf-8")
    assert "model <b>pkg.m:f</b>" in html and "package_&lt;k&gt;" not in html
    assert html.count("data:image/png;base64,") == 1


def test_an_empty_front_is_said_plainly(tmp_path):
    assert sentences(pd.DataFrame(), None, TWO) == ["No package on the front: the search found nothing to report."]
    assert (write_report(tmp_path, pd.DataFrame(), pd.DataFrame(), None, TWO, {})).exists()


def test_the_report_says_how_fully_the_front_enforces_each_regulation(tmp_path):
    """Levels on the front, 'enacted by none', and a strong rank correlation with an objective named."""
    rows = []
    for k in range(1, 7):
        level = (k - 1) / 5
        row = {"package": k, "on_front_after_reevaluation": True, "share_export_promotion": 0.9,
               "share_trade_liberalization": 0.1, "enforce_trade_liberalization": level,
               "enforce_strategic_measures": 1.0, "enforce_alliance_framework": 0.0, "budget": 2400.0}
        for name, value in (("new_exporters", 100 + 50 * level), ("gvc_participation", 0.1 + 0.01 * (k % 2))):
            row.update({name: value, f"{name}_low": value - 1, f"{name}_high": value + 1, f"{name}_gain": 5.0,
                        f"{name}_gain_low": 1.0, f"{name}_gain_high": 9.0})
        rows.append(row)
    front = pd.DataFrame(rows)
    line = next(s for s in sentences(front, None, TWO) if s.startswith("Regulations"))
    assert ("trade_liberalization is enforced at 0.00 to 1.00; across the 6 packages, the more fully it is enforced, "
            "the more new exporters (rank correlation +1.00), which describes the front, not the regulation's own "
            "effect") in line
    assert "strategic_measures is enforced at 1.00 to 1.00;" in line and "GVC" not in line
    assert "alliance_framework is enacted by none" in line and "lost revenue" in line
    write_report(tmp_path, _history(TWO, ("export_promotion", "trade_liberalization")), front, None, TWO,
                 {"title": "t", "regulations": ["trade_liberalization", "strategic_measures"]})
    html = (tmp_path / "report.html").read_text()
    assert "enforce_trade_liberalization" in html and "the enforcement of 2 regulations" in html
    assert not any(s.startswith("Regulations") for s in sentences(_front(), None, THREE))

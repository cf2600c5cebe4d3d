"""The attribution report's sentences, figure and report.html, from hand-made tables (no model runs)."""

from __future__ import annotations

import math

import pandas as pd

from simulation.reporting.attribution import figure, sentences, write_report

NAN = math.nan


def _row(outcome: str, kind: str, player: str, value: tuple[float, float, float],
         alone: tuple[float, float, float] = (NAN, NAN, NAN), members: str = "", total: float = 30.0,
         method: str = "exact", se: float = 0.0) -> dict:
    return {"outcome": outcome, "kind": kind, "player": player, "members": members or player,
            "shapley": value[0], "ci_low": value[1], "ci_high": value[2], "standalone": alone[0],
            "standalone_low": alone[1], "standalone_high": alone[2],
            "share": value[0] / total if total else NAN, "seeds": 20, "method": method, "sampling_se": se}


def _table(interaction: tuple[float, float, float], outcome: str = "new_exporters", total: float = 30.0,
           settings: tuple[float, float, float] | None = None, first: str = "meso level",
           method: str = "exact", se: float = 0.0) -> pd.DataFrame:
    """Three players: one clearly positive (a group), one clearly negative, one not distinguishable from 0."""
    parts = total - interaction[0]
    rows = [_row(outcome, "player", first, (25.0, 20.0, 30.0), (parts - 2.0, parts - 6.0, parts + 2.0),
                 members="awareness (export_promotion); mapping (information)", total=total, method=method, se=se),
            _row(outcome, "player", "credit", (-4.0, -7.0, -1.0), (-3.0, -6.0, -0.5),
                 members="credit (export_credit)", total=total, method=method, se=se),
            _row(outcome, "player", "fairs", (9.0, -1.0, 19.0), (5.0, -2.0, 12.0),
                 members="fairs (trade_fairs)", total=total, method=method, se=se),
            _row(outcome, "total", "total", (total, total - 6.0, total + 6.0), total=total, method=method),
            _row(outcome, "interaction", "interaction", interaction, total=total, method=method)]
    if settings is not None:
        rows.append(_row(outcome, "settings", "settings", settings, total=total, method=method))
    return pd.DataFrame(rows)


def test_a_positive_interaction_is_stated_as_more_than_the_sum_of_the_parts():
    lines = sentences(_table(interaction=(6.0, 2.0, 10.0)), "new_exporters")
    text = " ".join(lines)
    # the parts add up to 30 - 6 = 24; 6 more is 25% more
    assert "Together the entries bring 25% more than the sum of their parts" in text
    assert "interaction +6.0 new exporters, 95% interval +2.0 to +10.0" in text
    assert "add up" not in text
    assert "exact Shapley values" in text and "20 common seeds" in text


def test_an_interaction_whose_interval_includes_zero_is_said_to_add_up():
    text = " ".join(sentences(_table(interaction=(1.5, -2.0, 5.0)), "new_exporters"))
    assert "The entries add up: no interaction beyond the seeds' noise" in text
    assert "more than the sum" not in text and "less than the sum" not in text


def test_players_are_judged_by_their_intervals():
    lines = sentences(_table(interaction=(6.0, 2.0, 10.0)), "new_exporters")
    meso = next(line for line in lines if line.startswith("meso level"))
    credit = next(line for line in lines if line.startswith("credit"))
    fairs = next(line for line in lines if line.startswith("fairs"))
    assert "awareness (export_promotion); mapping (information)" in meso  # a group names its entries
    assert "brings 83% of the package's new exporters (+25.0 of +30.0" in meso
    assert credit.startswith("credit costs 4.0 new exporters") and "against the direction" in credit
    assert "not distinguishable from no effect" in fairs and "brings" not in fairs
    assert sum("not distinguishable" in line for line in lines) == 1


def test_no_share_when_the_total_is_not_distinguishable_from_zero():
    t = _table(interaction=(0.5, -3.0, 4.0))
    t.loc[t["kind"] == "total", ["ci_low", "ci_high"]] = [-2.0, 62.0]
    text = " ".join(sentences(t, "new_exporters"))
    assert "not distinguishable from no effect on new exporters" in text
    assert "% of the package" not in text and "meso level (" in text and "brings 25.0 new exporters" in text


def test_settings_are_said_apart_and_shares_read_in_percentage_points():
    t = _table(interaction=(0.01, 0.002, 0.02), outcome="gvc_participation", total=0.05,
               settings=(0.004, 0.001, 0.007), method="permutation sampling (200 permutations)", se=0.0005)
    t.loc[t["kind"] == "player", ["shapley", "ci_low", "ci_high"]] = [[0.04, 0.03, 0.05], [-0.01, -0.02, -0.001],
                                                                    [0.02, -0.01, 0.04]]
    t.loc[t["kind"] == "total", ["shapley", "ci_low", "ci_high"]] = [0.05, 0.04, 0.06]
    for column in ("standalone", "standalone_low", "standalone_high"):
        t[column] = t[column] / 1000
    lines = sentences(t, "gvc_participation")
    text = " ".join(lines)
    assert "permutation sampling (200 permutations)" in text
    assert "standard error of up to 0.05 percentage points" in text
    assert "brings 80% of the package's effect on GVC participation (+4.0 of +5.0" in text
    assert lines[-1].startswith("The scenario's own settings") and "+0.40 percentage points" in lines[-1]
    assert "not split among the entries" in lines[-1]
    figure(t, "gvc_participation").clf()


def test_write_report_escapes_names_and_needs_no_manifest_field(tmp_path):
    a = _table(interaction=(6.0, 2.0, 10.0), first="<script>x</script>")
    b = _table(interaction=(-50.0, -90.0, -10.0), outcome="export_sales", total=400.0,
               settings=(20.0, -5.0, 45.0))
    path = write_report(tmp_path, pd.concat([a, b], ignore_index=True), {})
    html = path.read_text(encoding="utf-8")
    assert path == tmp_path / "report.html"
    assert "<script>x</script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html
    assert sorted(p.name for p in (tmp_path / "figures").glob("*.png")) == [
        "attribution_0_new_exporters.png", "attribution_1_export_sales.png"]
    assert "less than the sum of their parts" in html and "kUSD in export sales" in html
    assert "no effect distinguishable from the seeds" in html


def test_write_report_reads_the_manifest(tmp_path):
    manifest = {"title": "Package & parts", "scenario": "integrated", "baseline": "status_quo",
                "seeds": list(range(20)), "method": "exact", "by": "level", "version": "0.5.0",
                "git_commit": "abc1234", "command": "run.py attribute integrated", "created": "2025-01-01",
                "finished": "2025-01-02"}
    html = write_report(tmp_path, _table(interaction=(1.0, -1.0, 3.0)), manifest).read_text(encoding="utf-8")
    for text in ("Package &amp; parts", "<b>integrated</b>", "<b>status_quo</b>", "players by level",
                 "20 common seeds", "abc1234", "run.py attribute integrated", "simulation 0.5.0"):
        assert text in html, text

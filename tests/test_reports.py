"""The HTML reports: every template renders, and text from the user is escaped, never run as markup."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from simulation.reporting.calibration import write_calibration_report
from simulation.reporting.render import ENV

ROOT = Path(__file__).resolve().parents[1]
EVIL = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
PNG = "iVBORw0KGgo="  # stands in for a base64 figure


def manifest(**extra) -> dict:
    return {"title": f"run: {EVIL}", "command": f"run.py run {EVIL}.toml", "version": "0.1.0",
            "created": "2024-01-01T00:00:00", "seeds": [1, 2], "steps": 8, **extra}


CONTEXTS = {
    "run.html": lambda: {
        "title": f"run: {EVIL}", "manifest": manifest(), "note": EVIL,
        "scenarios": [{"name": "a", "title": EVIL, "hypothesis": "H1", "budget": 1234.5, "description": EVIL}],
        "diffs": [{"scenario": EVIL, "outcome": "exporters", "baseline_mean": 1.0, "scenario_mean": 2.0,
                   "difference": 1.0, "ci_low": 0.5, "ci_high": 1.5, "seeds": 2, "verdict": "higher"}],
        "baseline": EVIL, "means_table": pd.DataFrame({"x": [1.0]}, index=[EVIL]).to_html(escape=True),
        "images": {k: PNG for k in ("differences", "stage_composition", "key_outcomes", "budget")},
        "figures": [("stage_composition", "Stage composition"), ("key_outcomes", "Exporters"),
                    ("budget", "Budget")]},
    "sweep.html": lambda: {
        "title": f"sobol sweep of {EVIL}", "manifest": manifest(scenario=EVIL, samples=8, runs=1234,
                                                                                extends={"folder": EVIL, "samples": 4,
                                                                                         "reused_runs": 600}),
        "method_title": "Sobol", "options": f"calc_second_order={EVIL}", "sentences": [EVIL],
        "noise_note": "noise", "noise_table": "<table></table>", "noise_per_year": True,
        "params_table": pd.DataFrame({"parameter": [EVIL]}).to_html(escape=True),
        "images": {"indices": PNG, "convergence": PNG},
        "figures": [("indices", "Sobol at the horizon"), ("convergence", "Settled?")],
        "indices_table": "<table></table>", "main": "ST", "has_conf": True, "has_reference": True,
        "given_data": True, "dummy_columns": 20, "reference_words": EVIL, "seed_reference": False, "settled": EVIL,
        "skipped": [{"output": EVIL, "reason": EVIL}], "per_year": True},
    "attribution.html": lambda: {
        "title": f"attribution: {EVIL}",
        "manifest": manifest(scenario=EVIL, baseline=EVIL, by=EVIL, method="exact", n_seeds=2,
                             git_commit=EVIL, finished=EVIL, reallocate=False),
        "sections": [{"outcome": "new_exporters", "label": EVIL, "unit": "firms", "sentences": [EVIL],
                      "key": EVIL, "image": PNG,
                      "table": pd.DataFrame({"player": [EVIL]}).to_html(escape=True)}]},
    "optimize.html": lambda: {
        "title": f"optimize: {EVIL}",
        "manifest": manifest(scenario=EVIL, baseline=EVIL, model="", budget=2400.0, instruments=[EVIL, "credit"],
                             regulations=[EVIL], objectives=[f"{EVIL} (max)"], n_seeds=2, n_reeval=20,
                             population=24, generations=12, robust_worlds=10, n_robust_seeds=3, git_commit=EVIL,
                             finished=EVIL),
        "sentences": [EVIL], "images": {"front": PNG, "shares": PNG, "robust": PNG}, "first": EVIL,
        "packages_table": pd.DataFrame({f"share_{EVIL}": [1.0]}).to_html(escape=True),
        "outcomes_table": "<table></table>", "robust_table": "<table></table>", "history_table": "<table></table>",
        "has_robust": True, "has_gain": True, "written": True},
    "explore.html": lambda: {
        "title": f"where it holds: {EVIL}", "manifest": manifest(samples=200, grid=5, runs=1234),
        "map_names": [EVIL, "conn_mean"],
        "sections": [{"name": EVIL, "sentences": [EVIL], "images": {"map": PNG},
                      "boxes_table": "<table></table>", "cart_table": "<table></table>"}],
        "overview": "<table></table>", "params_table": pd.DataFrame({"parameter": [EVIL]}).to_html(escape=True)},
    "calibration.html": lambda: {
        "title": "Calibration", "targets_path": f"/tmp/{EVIL}.toml", "evaluated": 20, "seeds": 2, "inside": 1,
        "checked": 1, "tried": 3, "found": True, "best": [{"name": EVIL, "value": 0.5, "default": 0.4,
                                                           "meaning": EVIL}],
        "fit_table": "<table></table>", "images": {"fit": PNG}, "figures": [("fit", "Simulated against observed")],
        "facts": [SimpleNamespace(name=EVIL, source=EVIL, measured=EVIL, mapping=EVIL)]},
}


def test_every_report_template_has_a_rendering_test():
    assert set(ENV.list_templates()) - {"base.html"} == set(CONTEXTS)


@pytest.mark.parametrize("name", sorted(CONTEXTS))
def test_each_report_template_renders_with_user_text_escaped(name):
    html = ENV.get_template(name).render(**CONTEXTS[name]())
    assert html.startswith("<!doctype html>") and html.rstrip().endswith("</html>")
    assert "<style>" in html and "<h1>" in html
    assert EVIL not in html
    assert ESCAPED in html
    assert f"data:image/png;base64,{PNG}" in html


def test_the_provenance_line_names_command_version_and_date():
    html = ENV.get_template("run.html").render(**CONTEXTS["run.html"]())
    assert f"<code>run.py run {ESCAPED}.toml</code><br>2 seeds, 8 quarters, simulation 0.1.0, 2024-01-01" in html
    html = ENV.get_template("sweep.html").render(**CONTEXTS["sweep.html"]())
    assert (f"scenario <b>{ESCAPED}</b>; N = 8 samples, 2 seeds per point, 1,234 runs of 8 quarters (extended "
            f"from the sweep of N = 4 in <code>{ESCAPED}</code>, 600 of its runs reused);") in html


def test_a_scenario_title_with_markup_is_escaped_in_the_run_report(tmp_path):
    path = tmp_path / "evil.toml"
    path.write_text(f'title = "{EVIL}"\ndescription = "a & b {EVIL}"\nextends = "integrated"\nsteps = 8\n'
                    '[params]\nn_smes = 100\n')
    out = tmp_path / "run"
    res = subprocess.run([sys.executable, str(ROOT / "run.py"), "run", str(path), "--seeds", "1", "--out", str(out),
                          "--quiet"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert res.returncode == 0, res.stderr
    html = (out / "report.html").read_text(encoding="utf-8")
    assert EVIL not in html and "<script" not in html
    assert f"<td>{ESCAPED}</td>" in html and f"a &amp; b {ESCAPED}" in html
    assert html.count("data:image/png;base64,") >= 3
    listed = re.findall(r"<code>([a-z_]+\.(?:csv|json))</code>", html.split("<h2>Files</h2>")[1])
    assert listed and all((out / name).is_file() for name in listed), listed  # every file it names exists
    assert "table{" in html and "overflow-x:auto" in html  # wide tables scroll inside the page


def test_the_calibration_report_writes_figures_and_escapes_the_facts(tmp_path):
    rng = np.random.default_rng(0)
    history = pd.DataFrame({"evaluation": range(12), "distance": rng.uniform(0.1, 1, 12),
                            "stage": ["global"] * 8 + ["local"] * 4, "base_exit_rate": rng.uniform(0.01, 0.03, 12)})
    fit = pd.DataFrame({"fact": ["renewal"], "outcome": ["exit_rate"], "window": ["1-8"], "observed": [0.1],
                        "band_low": [0.07], "band_high": [0.13], "simulated": [0.11], "ci_half_width": [0.01],
                        "inside": [True], "weight": [1.0], "known_gap": [False], "source": [EVIL]})
    targets = SimpleNamespace(path=tmp_path / "targets.toml", seeds=2,
                              facts=[SimpleNamespace(name="renewal", source=EVIL, measured="renewal", mapping="exits")])
    tried = pd.DataFrame({"rank": [0], "base_exit_rate": [0.02], "robust": [True]})
    path = write_calibration_report(tmp_path, targets, {"base_exit_rate": 0.02}, fit, history,
                                    {"base_exit_rate": (0.008, 0.04)}, tried)
    html = path.read_text(encoding="utf-8")
    assert path == tmp_path / "report.html"
    assert EVIL not in html and f"<td>{ESCAPED}</td>" in html
    assert "Calibration to stylized facts" in html and "1 of 1 facts inside their band" in html
    assert "1 points re-checked" in html and "(found;" in html
    for name in ("fit", "loss", "marginals"):
        assert (tmp_path / "figures" / f"{name}.png").stat().st_size > 1000
    assert html.count("data:image/png;base64,") == 3

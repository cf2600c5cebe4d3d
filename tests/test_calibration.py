"""Calibration: the targets file is checked, and the method recovers known parameters from their own moments."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from simulation.calibration import TargetsError, load
from simulation.calibration.job import calibrate, check
from simulation.experiments.backends import ProcessBackend
from simulation.scenario import load as load_scenario

ROOT = Path(__file__).resolve().parents[1]

GOOD_FACT = '''
[facts.renewal]
outcome = "exit_rate"
observed = 0.10
band = [0.07, 0.13]
source = "BIES 42(3), 2006"
measured = "yearly establishment renewal"
mapping = "yearly exit rate"
'''


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "targets.toml"
    path.write_text(text)
    return path


def test_shipped_targets_file_is_valid_and_has_at_least_six_sourced_facts():
    targets = load()
    assert len(targets.facts) >= 6
    for f in targets.facts:
        assert f.band[0] <= f.observed <= f.band[1]
        assert f.source and f.measured and f.mapping
    assert targets.free and targets.steps <= 40


@pytest.mark.parametrize("text, key, match", [
    (GOOD_FACT.replace('"exit_rate"', '"exit_rates"'), "facts.renewal.outcome", "did you mean 'exit_rate'"),
    (GOOD_FACT.replace("[0.07, 0.13]", "[0.11, 0.13]"), "facts.renewal.band", "must contain the observed value"),
    (GOOD_FACT.replace('source = "BIES 42(3), 2006"\n', ""), "facts.renewal.source", "missing"),
    (GOOD_FACT.replace('source = "BIES 42(3), 2006"', 'source = " "'), "facts.renewal.source", "non-empty"),
    (GOOD_FACT + 'window = [8, 4]\n', "facts.renewal.window", "first <= last"),
    (GOOD_FACT + 'wieght = 2\n', "facts.renewal.wieght", "did you mean 'weight'"),
    ('[calibration]\nfree = ["size_tale"]\n' + GOOD_FACT, "calibration.free", "did you mean 'size_tail'"),
    ('[calibration]\nfree = ["size_tail"]\n[calibration.bounds]\nsize_tail = [0.5, 2.0]\n' + GOOD_FACT,
     "calibration.bounds.size_tail", "1.05 <= low < high <= 4.0"),
])
def test_malformed_targets_name_file_and_key(tmp_path, text, key, match):
    path = write(tmp_path, text)
    with pytest.raises(TargetsError, match=match) as err:
        load(path)
    assert err.value.key == key and err.value.file == str(path)


def test_check_facts_exits_1_when_a_fact_is_outside_its_band(tmp_path):
    tiny = tmp_path / "tiny.toml"
    tiny.write_text('title = "tiny"\nextends = "baseline"\nsteps = 8\n[params]\nn_smes = 200\nwarmup_steps = 4\n')
    off = GOOD_FACT.replace("observed = 0.10", "observed = 0.9").replace("[0.07, 0.13]", "[0.8, 0.95]")
    path = write(tmp_path, f'[calibration]\nscenario = "{tiny}"\nseeds = 2\nwindow = [1, 8]\n' + off)
    res = subprocess.run([sys.executable, str(ROOT / "run.py"), "check-facts", "--targets", str(path), "--quiet",
                          "--workers", "1"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert res.returncode == 1, res.stderr
    assert "renewal" in res.stdout and "NO" in res.stdout and "1 of 1 facts outside" in res.stdout
    # A fact the file marks as a known gap is reported apart and does not fail the check.
    path.write_text(path.read_text() + 'known_gap = "the model cannot renew firms that fast yet"\n')
    res = subprocess.run([sys.executable, str(ROOT / "run.py"), "check-facts", "--targets", str(path), "--quiet",
                          "--workers", "1"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert res.returncode == 0, res.stderr
    assert "known gaps" in res.stdout and "no (known gap)" in res.stdout


def test_calibration_recovers_known_parameters(tmp_path):
    """Synthetic facts measured at known parameters; a small-budget calibration finds those parameters.

    The facts are measured on the seeds the calibration then uses (root 12345,
    the check's), so the known parameters reproduce them exactly: what is
    tested is the search. A world of 1,000 SMEs keeps the export share's 95%
    interval on the robust selection's fresh seeds narrower than its band
    (at 400 SMEs it is wider, and the selection drifts to the points where
    the share, and so its spread, is smallest)."""
    tiny = tmp_path / "tiny.toml"
    tiny.write_text('title = "tiny"\nextends = "baseline"\nsteps = 16\n[params]\nn_smes = 1000\nwarmup_steps = 4\n')
    truth = {"le_export_value": 150.0, "base_exit_rate": 0.02}
    bounds = {"le_export_value": (40.0, 400.0), "base_exit_rate": (0.008, 0.04)}

    def targets_text(observed: dict[str, float]) -> str:
        lines = [f'[calibration]\nscenario = "{tiny}"\nseeds = 4\nwindow = [5, 16]\n'
                 'free = ["le_export_value", "base_exit_rate"]\n[calibration.bounds]']
        lines += [f"{k} = [{lo}, {hi}]" for k, (lo, hi) in bounds.items()]
        for fact, outcome in (("share", "sme_export_share"), ("renewal", "exit_rate")):
            x = observed.get(fact, 0.5)
            lines.append(f'[facts.{fact}]\noutcome = "{outcome}"\nobserved = {x}\nband = [{0.8 * x}, {1.2 * x}]\n'
                         f'source = "synthetic"\nmeasured = "the model at known parameters"\nmapping = "itself"')
        return "\n".join(lines) + "\n"

    path = write(tmp_path, targets_text({}))
    targets = load(path)
    scenario = load_scenario(tiny)
    backend = ProcessBackend(2)
    try:
        fit = check(targets, scenario, 4, tmp_path / "truth", backend, params=truth)
        observed = dict(zip(fit["fact"], fit["simulated"]))
        targets = load(write(tmp_path, targets_text(observed)))
        out = calibrate(targets, scenario, tmp_path / "cal", backend, budget=240, seed=12345)
    finally:
        backend.close()
    for name, value in truth.items():
        lo, hi = bounds[name]
        assert abs(out["best"][name] - value) / (hi - lo) < 0.1, (name, out["best"][name], value)
    history = out["history"]
    best = history["distance"].min()
    assert best < 0.05 * history.loc[history["stage"] == "global", "distance"].median()
    assert (history["stage"] == "local").any()
    for name in ("points.parquet", "fit.csv", "calibrated.toml", "report.html", "figures/fit.png",
                 "figures/loss.png", "figures/marginals.png"):
        assert (tmp_path / "cal" / name).is_file(), name
    calibrated = load_scenario(tmp_path / "cal" / "calibrated.toml")
    assert calibrated.params["le_export_value"] == pytest.approx(out["best"]["le_export_value"], rel=1e-5)


@pytest.mark.e2e
def test_a_killed_calibration_resumes_to_the_same_result(tmp_path):
    import json

    import pandas as pd
    from helpers import kill_part_way

    tiny = tmp_path / "tiny.toml"
    tiny.write_text('title = "tiny"\nextends = "baseline"\nsteps = 8\n[params]\nn_smes = 300\nwarmup_steps = 4\n')
    path = write(tmp_path, f'[calibration]\nscenario = "{tiny}"\nseeds = 2\nwindow = [1, 8]\n'
                           'free = ["base_exit_rate", "comp_mean"]\n' + GOOD_FACT)
    base = [sys.executable, str(ROOT / "run.py"), "calibrate", "--targets", str(path), "--budget", "80",
            "--workers", "2", "--quiet"]
    killed, clean = tmp_path / "killed", tmp_path / "clean"
    kill_part_way([*base[2:], "--out", str(killed)], killed / "parts" / "moments", 6)
    assert json.loads((killed / "manifest.json").read_text())["status"] == "running"
    res = subprocess.run([sys.executable, str(ROOT / "run.py"), "calibrate", "--resume", str(killed), "--quiet",
                          "--workers", "2"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert res.returncode == 0, res.stderr
    res = subprocess.run([*base, "--out", str(clean)], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert res.returncode == 0, res.stderr
    pd.testing.assert_frame_equal(pd.read_parquet(killed / "points.parquet"), pd.read_parquet(clean / "points.parquet"))
    assert json.loads((killed / "manifest.json").read_text())["best"] == json.loads(
        (clean / "manifest.json").read_text())["best"]

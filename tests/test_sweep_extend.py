"""Extending a finished Sobol' sweep from N to 2N reusing its runs, and the indices on its nested prefixes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation.sensitivity import analysis, known, sobol

ROOT = Path(__file__).resolve().parents[1]
PI = "3.141592653589793"
ISHIGAMI = (f'model = "simulation.sensitivity.known:ishigami"\nmethod = "sobol"\nsamples = 256\n'
            f'[inputs]\nx1 = [-{PI}, {PI}]\nx2 = [-{PI}, {PI}]\nx3 = [-{PI}, {PI}]\n')


MODEL = "simulation.sensitivity.known:ishigami"  # given again: a resume never imports code a folder names


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "run.py"), *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)


def test_a_sobol_design_of_2n_begins_with_the_design_of_n():
    problem = {"num_vars": 4, "names": list("abcd"), "bounds": [[0, 1]] * 4}
    for second_order in (False, True):
        options = {"second_order": second_order}
        small, large = (sobol.sample(problem, n, seed=5, options=options) for n in (64, 256))
        assert np.array_equal(large[:len(small)], small)


def test_the_convergence_table_ends_at_the_full_analysis_and_narrows():
    inputs = known.ISHIGAMI_INPUTS
    problem = {"num_vars": 3, "names": list(inputs), "bounds": [list(b) for b in inputs.values()]}
    options = {"second_order": False, "num_resamples": 100, "conf_level": 0.95}
    X = sobol.sample(problem, 1024, seed=1, options=options)
    means = pd.DataFrame({"y": [known.ishigami(dict(zip(inputs, x)))["y"] for x in X]}).rename_axis("point")
    columns = [("y", None, "y")]
    table = analysis.convergence(sobol, problem, X, means, columns, samples=1024, seed=2, options=options)
    assert sorted(table["samples"].unique()) == [16, 32, 64, 128, 256, 512, 1024]
    full, _ = analysis.analyze(sobol, problem, X, means, columns, seed=2, options=options)
    last = table[table["samples"] == 1024].drop(columns="samples").reset_index(drop=True)
    pd.testing.assert_frame_equal(last, full[last.columns])
    st = table[table["index"] == "ST"].pivot(index="parameter", columns="samples", values="conf")
    assert (st[1024] < st[16]).all()  # the intervals narrow as N grows
    exact = known.ishigami_indices()["ST"]
    got = table[(table["index"] == "ST") & (table["samples"] == 1024)].set_index("parameter")["value"]
    assert all(got[k] == pytest.approx(v, abs=0.05) for k, v in exact.items())


@pytest.mark.e2e
def test_an_extended_sweep_equals_a_fresh_one_and_runs_only_the_new_points(tmp_path):
    config = tmp_path / "ishigami.toml"
    config.write_text(ISHIGAMI)
    small, extended, fresh = tmp_path / "n256", tmp_path / "n512", tmp_path / "fresh"
    assert cli("sweep", "--config", str(config), "--out", str(small), "--quiet", "--workers", "1").returncode == 0
    res = cli("sweep", "--extend", str(small), "--model", MODEL, "--samples", "512", "--out", str(extended),
              "--workers", "2")
    assert res.returncode == 0, res.stderr
    assert "(1,280 reused from" in res.stdout
    assert cli("sweep", "--config", str(config), "--samples", "512", "--out", str(fresh), "--quiet",
               "--workers", "1").returncode == 0
    manifest = json.loads((extended / "manifest.json").read_text())
    assert manifest["extends"] == {"folder": str(small), "samples": 256, "reused_runs": 256 * 5}
    assert manifest["sessions"][0]["ran"] == 512 * 5 - 256 * 5  # only the new points ran
    for name in ("results.parquet", "samples.parquet", "runs.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(extended / name), pd.read_parquet(fresh / name))
    pd.testing.assert_frame_equal(pd.read_csv(extended / "indices.csv"), pd.read_csv(fresh / "indices.csv"))
    conv = pd.read_csv(extended / "convergence.csv")
    assert sorted(conv["samples"].unique()) == [16, 32, 64, 128, 256, 512]
    html = (extended / "report.html").read_text()
    assert "extended from the sweep of N = 256" in html and "Have the indices settled?" in html


@pytest.mark.e2e
def test_extend_refuses_what_would_not_reuse_or_would_change_the_design(tmp_path):
    config = tmp_path / "ishigami.toml"
    config.write_text(ISHIGAMI)
    small = tmp_path / "n256"
    assert cli("sweep", "--config", str(config), "--out", str(small), "--quiet").returncode == 0
    morris = tmp_path / "morris"
    config.write_text(ISHIGAMI.replace('"sobol"', '"morris"').replace("256", "8"))
    assert cli("sweep", "--config", str(config), "--out", str(morris), "--quiet").returncode == 0
    cases = [
        (["--extend", str(small), "--model", MODEL, "--samples", "128"], "must be larger than the sweep's N = 256"),
        (["--extend", str(small), "--model", MODEL, "--samples", "768"], "N a power of 2"),
        (["--extend", str(small), "--model", MODEL], "--extend needs --samples"),
        (["--extend", str(small), "--model", MODEL, "--samples", "512", "--method", "morris"],
         "only --samples changes"),
        (["--extend", str(small), "--model", MODEL, "--samples", "512", "--params", "x1,x2"], "only --samples changes"),
        (["--extend", str(small), "--model", MODEL, "--samples", "512", "--second-order"], "only --samples changes"),
        (["--extend", str(small), "--model", MODEL, "--samples", "512", "--no-dummy"], "only --samples changes"),
        (["--extend", str(morris), "--model", MODEL, "--samples", "16"], "only Sobol' designs nest"),
        (["--extend", str(tmp_path / "nowhere"), "--model", MODEL, "--samples", "512"], "--extend"),
    ]
    for args, needle in cases:
        out = tmp_path / f"out{cases.index((args, needle))}"
        res = cli("sweep", *args, "--out", str(out), "--quiet")
        assert res.returncode == 2 and needle in res.stderr, (args, res.stderr)
        assert not out.exists() or not any(out.iterdir()), args  # nothing half-made

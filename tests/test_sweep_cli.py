"""`run.py sweep` end to end, as subprocesses: every method, kill and resume, Dask against local processes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import kill_part_way

from simulation.sensitivity import METHODS

ROOT = Path(__file__).resolve().parents[1]

# Small enough for the suite: 2 parameters, 200 SMEs, 8 quarters.
SIZES = {"sobol": ["--samples", "8"], "morris": ["--samples", "4"],
         "fast": ["--samples", "20", "--option", "M=2"], "rbd_fast": ["--samples", "30"],
         "delta": ["--samples", "30"], "pawn": ["--samples", "30", "--option", "S=5"]}


def cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "run.py"), *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=timeout)


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text('title = "tiny baseline"\nextends = "baseline"\nsteps = 8\n'
                    '[params]\nn_smes = 200\nwarmup_steps = 4\n')
    return path


def sweep_args(tiny: Path, method: str, out: Path, *extra: str) -> list[str]:
    return ["sweep", str(tiny), "--method", method, *SIZES[method], "--params", "comp_mean,conn_mean",
            "--outputs", "export_participation,exits,new_exporters_per_musd", "--out", str(out), "--quiet", *extra]


@pytest.mark.parametrize("method", list(METHODS))
def test_every_method_writes_its_folder(tiny, tmp_path, method):
    out = tmp_path / method
    res = cli(*sweep_args(tiny, method, out, "--workers", "2"))
    assert res.returncode == 0, res.stderr
    for name in ("manifest.json", "samples.parquet", "runs.parquet", "results.parquet", "results.csv",
                 "point_means.parquet", "indices.csv", "seed_noise.csv", "report.html", "figures/indices.png",
                 "figures/heatmaps.png"):
        assert (out / name).is_file(), name
    assert not (out / "parts").exists()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["method"] == method
    assert manifest["params"] == ["comp_mean", "conn_mean"] and manifest["version"]
    results = pd.read_parquet(out / "results.parquet")
    runs = pd.read_parquet(out / "runs.parquet")
    assert set(runs["run_id"]) == set(results["run_id"]) and results["run_id"].is_unique
    indices = pd.read_csv(out / "indices.csv")
    assert set(indices["output"]) == {"export_participation", "exits", "new_exporters_per_musd"}
    assert set(indices["parameter"]) >= {"comp_mean", "conn_mean"}
    module = METHODS[method]
    assert np.isfinite(indices["value"]).all()
    bounded = indices[indices["index"].isin(module.BOUNDED) & (indices["index"] != "S2")]
    # Estimators stray outside [0, 1] at tiny N (what they estimate cannot): the report must say so
    report = (out / "report.html").read_text()
    if not bounded["value"].between(-0.1, 1.1).all():
        assert "the sample is too small" in report
    # PAWN's indices are Kolmogorov-Smirnov statistics: [0, 1] exactly, with no bias correction to
    # push them out (SALib's delta is bias-corrected and can dip just below 0).
    distances = ("minimum", "mean", "median", "maximum") if method == "pawn" else ()
    assert indices[indices["index"].isin(distances)]["value"].between(0, 1).all()
    assert "matters most" in report.lower() or "driven" in report.lower()
    if method == "morris":
        assert (out / "figures" / "morris.png").is_file()


def test_sweep_from_a_config_file_with_narrowed_bounds(tiny, tmp_path):
    cfg = tmp_path / "sweep.toml"
    cfg.write_text(f'scenario = "{tiny}"\nmethod = "rbd_fast"\nsamples = 24\nseeds = 2\nper_year = true\n'
                   'params = ["comp_mean", "conn_mean"]\noutputs = ["export_participation"]\n'
                   '[bounds]\ncomp_mean = [0.3, 0.4]\n')
    out = tmp_path / "cfg"
    res = cli("sweep", "--config", str(cfg), "--out", str(out), "--quiet", "--workers", "2")
    assert res.returncode == 0, res.stderr
    samples = pd.read_parquet(out / "samples.parquet")
    assert samples["comp_mean"].between(0.3, 0.4).all()
    assert samples["conn_mean"].between(0.15, 0.45).all()  # the registry's sweep range
    runs = pd.read_parquet(out / "runs.parquet")
    assert runs.groupby("point")["seed"].nunique().eq(2).all()
    indices = pd.read_csv(out / "indices.csv")
    assert set(indices["year"].dropna().astype(int)) == {1, 2}  # 8 quarters: two years
    noise = pd.read_csv(out / "seed_noise.csv")
    assert (noise["source"] == "replicates").all() and noise["noise_share"].between(0, 1).all()


def test_bad_sweep_input_is_one_clear_error_and_no_folder(tiny, tmp_path):
    out = tmp_path / "bad"
    for args, needle in ((["--method", "sobel"], "--method: unknown method 'sobel' (did you mean 'sobol'?)"),
                         (["--params", "competitivenes"], "--params: 'competitivenes' is neither"),
                         (["--outputs", "exporter"], "--outputs: unknown outcome 'exporter'"),
                         (["--option", "levels=x", "--method", "morris"],
                          "--option levels: levels must be a whole number"),
                         (["--method", "fast", "--samples", "10"], "--samples: eFAST needs N > 4 M^2 = 64")):
        res = cli("sweep", str(tiny), *args, "--out", str(out))
        assert res.returncode == 2, (args, res.stderr)
        assert needle in res.stderr, res.stderr
        assert len(res.stderr.strip().splitlines()) == 1
        assert not out.exists()


@pytest.mark.e2e
def test_a_killed_sweep_resumes_without_losing_or_repeating_runs(tiny, tmp_path):
    out = tmp_path / "killed"
    args = sweep_args(tiny, "sobol", out, "--workers", "2")
    args[args.index("--samples") + 1] = "64"  # 64 x 4 = 256 runs plus the probe
    parts = out / "parts" / "results"
    kill_part_way(args, parts, 3)
    done = pd.concat([pd.read_parquet(p) for p in parts.glob("*.parquet")])
    total = pd.read_parquet(out / "runs.parquet")["run_id"].nunique()
    assert 0 < len(done) < total, "killed part way"

    res = cli("sweep", "--resume", str(out), "--workers", "2")
    assert res.returncode == 0, res.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert manifest["sessions"][-1]["ran"] == total - len(done)  # nothing run twice
    resumed = pd.read_parquet(out / "results.parquet")
    assert len(resumed) == total and resumed["run_id"].is_unique  # nothing lost

    clean = tmp_path / "clean"
    res = cli(*sweep_args(tiny, "sobol", clean, "--workers", "2", "--samples", "64"))
    assert res.returncode == 0, res.stderr
    pd.testing.assert_frame_equal(resumed, pd.read_parquet(clean / "results.parquet"))
    pd.testing.assert_frame_equal(pd.read_csv(out / "indices.csv"), pd.read_csv(clean / "indices.csv"))


@pytest.mark.e2e
def test_an_extended_sweep_of_the_simulation_equals_a_fresh_one(tiny, tmp_path):
    """N = 8 extended to 16: the first points' runs are reused, the noise probe moves to the new design."""
    small, extended, fresh = tmp_path / "n8", tmp_path / "n16", tmp_path / "fresh"
    assert cli(*sweep_args(tiny, "sobol", small)).returncode == 0
    res = cli("sweep", "--extend", str(small), "--samples", "16", "--out", str(extended), "--quiet")
    assert res.returncode == 0, res.stderr
    res = cli(*sweep_args(tiny, "sobol", fresh, "--samples", "16"))
    assert res.returncode == 0, res.stderr
    manifest = json.loads((extended / "manifest.json").read_text())
    assert manifest["extends"]["reused_runs"] >= 8 * 4  # every analysis run of N = 8
    assert manifest["sessions"][0]["ran"] + manifest["extends"]["reused_runs"] == manifest["distinct_runs"]
    for name in ("results.parquet", "runs.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(extended / name), pd.read_parquet(fresh / name))
    pd.testing.assert_frame_equal(pd.read_csv(extended / "indices.csv"), pd.read_csv(fresh / "indices.csv"))


@pytest.mark.e2e
def test_dask_local_cluster_and_any_number_of_workers_give_the_same_files(tiny, tmp_path):
    """Rows in one order too: results.parquet is identical, not only equal once sorted."""
    tables = []
    for name, extra in (("one", ["--workers", "1"]), ("pool", ["--workers", "2"]),
                        ("dask", ["--workers", "2", "--scheduler", "local"])):
        out = tmp_path / name
        res = cli(*sweep_args(tiny, "morris", out, *extra), timeout=600)
        assert res.returncode == 0, res.stderr
        tables.append((pd.read_parquet(out / "results.parquet"), pd.read_csv(out / "indices.csv")))
    for other in tables[1:]:
        pd.testing.assert_frame_equal(tables[0][0], other[0])
        pd.testing.assert_frame_equal(tables[0][1], other[1])

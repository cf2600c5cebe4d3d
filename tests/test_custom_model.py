"""The custom-model hook: the sweep machinery on any function from named inputs to named outputs.

Known answers (G-function, Ishigami) through the same sampler, runner and
analyzer as a sweep of the simulation, in process and through ``run.py sweep``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from simulation.experiments.functions import FunctionSpec, ModelError, load
from simulation.sensitivity import known, sweep_model
from simulation.sensitivity.design import SweepConfig, SweepConfigError

ROOT = Path(__file__).resolve().parents[1]


def cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "run.py"), *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=timeout)


def by_parameter(indices: pd.DataFrame, index: str) -> pd.Series:
    return indices[indices["index"] == index].set_index("parameter")["value"]


@pytest.mark.parametrize("samples", [1024, 4096])
def test_the_g_function_first_order_indices_are_recovered_within_0_01(samples):
    out = sweep_model(known.g_function, known.g_inputs(), samples=samples)
    exact = known.g_function_indices()
    for index in ("S1", "ST"):
        got = by_parameter(out["indices"], index)
        for name, value in exact[index].items():
            assert got[name] == pytest.approx(value, abs=0.01), (index, name)
    assert out["noise"].loc[0, "source"] == "deterministic model"


def test_ishigami_indices_are_recovered_within_0_05_and_x3_acts_only_with_x1():
    out = sweep_model("simulation.sensitivity.known:ishigami", known.ISHIGAMI_INPUTS, samples=1024)
    exact = known.ishigami_indices()
    for index in ("S1", "ST"):
        got = by_parameter(out["indices"], index)
        for name, value in exact[index].items():
            assert got[name] == pytest.approx(value, abs=0.05), (index, name)
    st, s1 = by_parameter(out["indices"], "ST"), by_parameter(out["indices"], "S1")
    assert st["x3"] > 0.15 and abs(s1["x3"]) < 0.05


def test_a_stochastic_model_gets_its_seeds_and_its_common_shift_is_not_noise_without_the_reference():
    out = sweep_model(known.noisy_sum, {"x1": (0.0, 1.0), "x2": (0.0, 1.0)}, samples=128, dummy=False)
    noise = out["noise"].iloc[0]
    assert noise["source"] == "probe" and noise["interaction_sd"] == pytest.approx(0.1, rel=0.35)
    assert noise["noise_share"] < 0.15  # the seed's shift (sd 3) would make it ~100% if counted
    st = by_parameter(out["indices"], "ST")
    assert st["x1"] == pytest.approx(0.5, abs=0.15) and st["x2"] == pytest.approx(0.5, abs=0.15)


def test_a_model_must_be_a_named_module_level_function():
    with pytest.raises(ModelError, match="module-level"):
        sweep_model(lambda inputs: {"y": 1.0}, {"a": (0, 1), "b": (0, 1)})
    with pytest.raises(ModelError, match="package.module:function"):
        load("../../etc/passwd")
    with pytest.raises(ModelError, match="cannot import"):
        load("no_such_package_here:f")
    with pytest.raises(ModelError, match="no function"):
        load("simulation.sensitivity.known:nothing")


def test_function_run_ids_depend_on_model_inputs_and_seed_only():
    a = FunctionSpec.make("m:f", {"x": 0.5, "y": 1.0}, 3)
    assert a.run_id == FunctionSpec.make("m:f", {"y": 1.0, "x": 0.5}, 3).run_id
    assert len({a.run_id, FunctionSpec.make("m:g", a.params, 3).run_id, FunctionSpec.make("m:f", a.params, 4).run_id,
                FunctionSpec.make("m:f", {"x": 0.5, "y": 1.1}, 3).run_id}) == 4


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "model.toml"
    path.write_text(text)
    return path


ISHIGAMI_FILE = ('model = "simulation.sensitivity.known:ishigami"\nmethod = "sobol"\nsamples = 1024\n'
                 '[inputs]\nx1 = [-3.141592653589793, 3.141592653589793]\n'
                 'x2 = [-3.141592653589793, 3.141592653589793]\nx3 = [-3.141592653589793, 3.141592653589793]\n')


@pytest.mark.parametrize("text, key, needle", [
    ('model = "simulation.sensitivity.known:ishigami"\nscenario = "baseline"\n[inputs]\nx1 = [0, 1]\nx2 = [0, 1]\n'
     'x3 = [0, 1]\n', "scenario", "does not apply to a sweep of a model"),
    ('model = "no_such_module:f"\n[inputs]\na = [0, 1]\nb = [0, 1]\n', "model", "cannot import"),
    ('model = "simulation.sensitivity.known:ishigami"\n[inputs]\nx1 = [0, 1]\n', "inputs", "at least 2 inputs"),
    ('model = "simulation.sensitivity.known:ishigami"\n[inputs]\nx1 = [0, 1]\nx2 = [1, 0]\nx3 = [0, 1]\n',
     "inputs.x2", "low < high"),
    ('model = "simulation.sensitivity.known:ishigami"\noutputs = ["z"]\n[inputs]\nx1 = [0, 1]\nx2 = [0, 1]\n'
     'x3 = [0, 1]\n', "outputs", "returns no output 'z'"),
    ('model = "simulation.sensitivity.known:ishigami"\n[inputs]\nx1 = [0, 1]\nx2 = [0, 1]\n', "model",
     "KeyError"),
    ('model = "simulation.sensitivity.known:ishigami"\n[inputs]\n"x 1" = [0, 1]\nx2 = [0, 1]\n', "inputs",
     "letters, digits"),
])
def test_a_bad_model_sweep_file_is_one_error_naming_the_key(tmp_path, text, key, needle):
    with pytest.raises(SweepConfigError) as err:
        SweepConfig.from_toml(write(tmp_path, text))
    assert key in str(err.value) and needle in str(err.value), str(err.value)


@pytest.mark.e2e
def test_run_py_sweep_of_a_model_named_in_a_file_gives_the_known_indices_whatever_the_workers(tmp_path):
    config = write(tmp_path, ISHIGAMI_FILE)
    tables = []
    for workers in ("1", "2"):
        out = tmp_path / f"w{workers}"
        res = cli("sweep", "--config", str(config), "--workers", workers, "--out", str(out), "--quiet")
        assert res.returncode == 0, res.stderr
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["scenario_info"]["model"] == "simulation.sensitivity.known:ishigami"
        assert manifest["status"] == "complete" and (out / "report.html").exists()
        tables.append((pd.read_parquet(out / "results.parquet"), pd.read_csv(out / "indices.csv")))
    pd.testing.assert_frame_equal(tables[0][0], tables[1][0])
    pd.testing.assert_frame_equal(tables[0][1], tables[1][1])
    st = by_parameter(tables[0][1], "ST")
    exact = known.ishigami_indices()["ST"]
    assert all(st[n] == pytest.approx(v, abs=0.05) for n, v in exact.items())
    html = (tmp_path / "w1" / "report.html").read_text()
    assert "model <b>simulation.sensitivity.known:ishigami</b>" in html

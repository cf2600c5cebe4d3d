"""Sensitivity sweeps: the pipeline recovers known indices, every method runs end to end, configs are checked."""

from __future__ import annotations

import functools
import hashlib

import numpy as np
import pandas as pd
import pytest
from SALib.test_functions import Ishigami

from simulation.experiments.backends import ProcessBackend, SerialBackend
from simulation.experiments.runner import RunSpec, run_specs
from simulation.experiments.store import RunStore
from simulation.sensitivity import METHODS, analysis, design, sobol
from simulation.sensitivity.design import SweepConfig, SweepConfigError

ISHIGAMI = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-np.pi, np.pi]] * 3}
# Analytical indices of Ishigami (a = 7, b = 0.1): Saltelli et al. (2008), Global Sensitivity Analysis, 4.6.
ISHIGAMI_S1 = {"x1": 0.3139, "x2": 0.4424, "x3": 0.0}
ISHIGAMI_ST = {"x1": 0.5576, "x2": 0.4424, "x3": 0.2437}


def ishigami_work(specs):
    """Stands in for the model in the runner: one row of 'outcomes' per spec."""
    X = np.array([[s.params["x1"], s.params["x2"], s.params["x3"]] for s in specs])
    rows = pd.DataFrame({"run_id": [s.run_id for s in specs], "scenario": "ishigami",
                         "seed": [s.seed for s in specs], "y": Ishigami.evaluate(X)})
    return [s.run_id for s in specs], {"results": rows}


def ishigami_spec(params, seed):
    digest = hashlib.sha256(repr((sorted(params.items()), seed)).encode()).hexdigest()[:16]
    return RunSpec("ishigami", {}, params, seed, 0, digest)


def test_ishigami_indices_recovered_through_sampler_runner_and_analyzer(tmp_path):
    options = {k: o.default for k, o in sobol.OPTIONS.items()}
    X = sobol.sample(ISHIGAMI, 1024, seed=3, options=options)
    points = pd.DataFrame(X, columns=ISHIGAMI["names"]).to_dict("records")
    runs, specs = design.plan(points, 1, 0, ishigami_spec, probe=False)
    store = RunStore(tmp_path, ("results",))
    backend = ProcessBackend(2)
    try:
        ran = run_specs(specs, store, backend, quiet=True, work=ishigami_work, chunk=256)
    finally:
        backend.close()
    assert ran == len(X) == len(runs)
    means = analysis.point_means(runs, store.read("results"), ["y"])
    indices, skipped = analysis.analyze(sobol, ISHIGAMI, X, means, [("y", None, "y")], seed=1, options=options)
    assert not skipped
    got = indices.set_index(["index", "parameter"])["value"]
    for name in ISHIGAMI["names"]:
        assert got[("S1", name)] == pytest.approx(ISHIGAMI_S1[name], abs=0.05)
        assert got[("ST", name)] == pytest.approx(ISHIGAMI_ST[name], abs=0.05)


def test_given_data_methods_rank_ishigami_like_the_truth():
    """RBD-FAST, delta and PAWN on a Latin hypercube: x3 alone matters least (its S1 is 0)."""
    for name in ("rbd_fast", "delta", "pawn"):
        m = METHODS[name]
        options = {k: o.default for k, o in m.OPTIONS.items()}
        if "num_resamples" in options:
            options["num_resamples"] = 10  # the ranking, not the intervals, is under test
        X = m.sample(ISHIGAMI, 1000, seed=1, options=options)
        table = m.analyze(ISHIGAMI, X, Ishigami.evaluate(X), seed=1, options=options)
        first = table[table["index"] == ("S1" if name != "pawn" else "median")].set_index("parameter")["value"]
        assert first["x3"] < min(first["x1"], first["x2"]), name


def test_seed_noise_counts_only_the_point_by_seed_interaction():
    """A seed's main effect (the same shift at every point) cancels out of the indices: it is not noise.

    y = signal(point) + 3 * shift(seed) + interaction: the old within-point
    variance (9 + 1) would call this 89% noise; only the interaction (1) blurs.
    """
    rng = np.random.default_rng(0)
    runs = pd.DataFrame([{"point": k, "seed": s, "run_id": f"{k}-{s}", "role": "analysis"}
                         for k in range(200) for s in range(4)])
    signal, shift = rng.normal(0, 1.0, 200), rng.normal(0, 3.0, 4)
    results = pd.DataFrame({"run_id": runs["run_id"],
                            "y": signal[runs["point"]] + shift[runs["seed"]] + rng.normal(0, 1.0, len(runs))})
    noise = analysis.seed_noise(runs, results, [("y", None, "y")], 4).iloc[0]
    # interaction variance 1, R = 4: noise variance 0.25 against point-mean variance 1.25
    assert noise["noise_share"] == pytest.approx(0.25 / 1.25, abs=0.06)
    assert noise["interaction_sd"] == pytest.approx(1.0, abs=0.1)
    assert noise["share_low"] < noise["noise_share"] < noise["share_high"]
    assert noise["dof"] == 199 * 3 and noise["verdict"].startswith("not settled")  # 0.2 is inside its interval


def test_the_noise_verdict_speaks_only_where_its_interval_allows():
    assert analysis.verdict(0.01, 0.005, 0.03) == "enough seeds"
    assert analysis.verdict(0.04, 0.02, 0.09).startswith("weak parameters")
    assert analysis.verdict(0.5, 0.25, 0.9).startswith("too noisy")
    assert analysis.verdict(0.25, 0.1, 0.6).startswith("not settled")
    assert analysis.verdict(float("nan")).startswith("output does not vary")


def test_design_runs_every_point_on_the_same_seeds_and_probes_noise_with_one_seed():
    cfg = SweepConfig(method="rbd_fast", samples=30, params=["comp_mean", "conn_mean"], seeds=3, steps=4)
    cfg.validate()
    d = design.build(cfg)
    seeds = d.runs.groupby("point")["seed"].apply(tuple)
    assert seeds.nunique() == 1 and len(seeds.iloc[0]) == 3
    assert (d.runs["role"] == "analysis").all() and len(d.runs) == cfg.runs() == 90
    one = SweepConfig(method="rbd_fast", samples=30, params=["comp_mean", "conn_mean"], seeds=1, steps=4)
    d1 = design.build(one)
    probe = d1.runs[d1.runs["role"] == "probe"]
    assert probe["point"].nunique() == design.PROBE_POINTS
    assert len(d1.runs) == one.runs() == 30 + design.PROBE_POINTS * (design.PROBE_SEEDS - 1)
    # the analysis seed is the first of the probe's seeds, so probe points have PROBE_SEEDS seeds in all
    assert d1.runs[d1.runs["point"].isin(probe["point"])].groupby("point").size().eq(design.PROBE_SEEDS).all()
    for spec in d.specs[:3]:
        assert set(d.problem["names"]) <= set(spec.params)


@pytest.mark.parametrize("kwargs, key, match", [
    ({"method": "sobel"}, "--method", "did you mean 'sobol'"),
    ({"params": ["competitivenes"]}, "--params", "did you mean 'competitiveness'"),
    ({"params": ["comp_mean"]}, "--params", "at least 2"),
    ({"params": ["n_smes", "comp_mean"]}, "--params", "cannot be swept"),
    ({"outputs": ["exporters_share"]}, "--outputs", "unknown outcome"),
    ({"bounds": {"comp_mean": [0.5, 1.5]}, "params": ["comp_mean", "conn_mean"]}, "--bounds",
     "0.05 <= low < high <= 0.95"),
    ({"method": "fast", "samples": 10}, "--samples", "N > 4 M"),
    ({"options": {"second_order": "maybe"}}, "--option second_order", "true or false"),
    ({"options": {"levels": 4}}, "--option levels", "not an option of sobol"),
    ({"seeds": 0}, "--seeds", r"must be in \[1, 1000\]"),
    ({"scenario": "no_such_scenario"}, "scenario", "no_such_scenario"),
    # issue 15: each of these was accepted, and gave misnamed indices, a meaningless range or an unbalanced sample
    ({"method": "fast", "samples": 80, "by_group": True}, "--by-group", "one index per parameter"),
    ({"method": "rbd_fast", "by_group": True}, "--by-group", "one index per parameter"),
    ({"method": "delta", "by_group": True}, "--by-group", "one index per parameter"),
    ({"method": "pawn", "by_group": True}, "--by-group", "one index per parameter"),
    ({"params": ["gvc_shock_step", "comp_mean"]}, "--params", "'gvc_shock_step' has no sweep range"),
    ({"params": ["warmup_steps", "comp_mean"]}, "--params", "'warmup_steps' has no sweep range"),
    ({"samples": 100}, "--samples", "N a power of 2"),
])
def test_bad_sweep_settings_name_the_key(kwargs, key, match):
    with pytest.raises(SweepConfigError, match=match) as err:
        cfg = SweepConfig(**kwargs)
        cfg.validate()
        design.build(cfg)  # sample-size rules are the sampler's, checked when the sample is drawn
    assert err.value.key == key


def test_sweep_file_errors_name_file_and_key(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text('method = "morris"\nsamples = 4\nparams = ["comp_mean", "conn_mean"]\n'
                 '[bounds]\ncomp_mean = [0.3, "high"]\n')
    with pytest.raises(SweepConfigError) as err:
        SweepConfig.from_toml(f)
    assert err.value.file == str(f) and err.value.key == "bounds.comp_mean"
    f.write_text('method = "morris"\nsampels = 4\n')
    with pytest.raises(SweepConfigError, match="did you mean 'samples'"):
        SweepConfig.from_toml(f)
    f.write_text('method = "morris"\nsamples = 4\nparams = "comp_mean,conn_mean"\n'
                 '[bounds]\ncomp_mean = [0.3, 0.4]\n[options]\nlevels = 6\n')
    cfg = SweepConfig.from_toml(f, {"samples": 6})
    assert cfg.samples == 6 and cfg.problem()["bounds"][0] == [0.3, 0.4]
    assert cfg.method_options()["levels"] == 6


def test_serial_and_process_backends_give_the_same_results(tmp_path):
    cfg = SweepConfig(method="rbd_fast", samples=24, params=["comp_mean", "conn_mean"], seeds=1, steps=3,
                      outputs=["export_participation", "exits"])
    d = design.build(cfg)
    from simulation.experiments.runner import evaluate
    work = functools.partial(evaluate, outputs=tuple(cfg.outputs))
    tables = []
    for k, backend in enumerate((SerialBackend(), ProcessBackend(2))):
        store = RunStore(tmp_path / str(k), ("results",))
        try:
            run_specs(d.specs, store, backend, quiet=True, work=work, chunk=5)
        finally:
            backend.close()
        tables.append(store.read("results").sort_values("run_id").reset_index(drop=True))
    pd.testing.assert_frame_equal(tables[0], tables[1])


def test_a_parameter_without_a_sweep_range_sweeps_inside_the_bounds_given():
    cfg = SweepConfig(params=["gvc_shock_step", "comp_mean"], bounds={"gvc_shock_step": [4, 36]}, samples=8)
    cfg.validate()
    assert cfg.problem()["bounds"][0] == [4.0, 36.0]


def test_given_data_methods_analyse_the_rounded_values_the_model_ran_with():
    """A 0/1 switch is sampled on [0, 1] and rounded for the model: delta, PAWN and RBD-FAST must see 0 and 1."""
    for method in ("delta", "pawn", "rbd_fast"):
        cfg = SweepConfig(method=method, samples=40, params=["firm_growth", "comp_mean"], steps=4)
        cfg.validate()
        d = design.build(cfg)
        X = d.analysed_inputs(METHODS[method])
        assert set(np.unique(X[:, 0])) == {0.0, 1.0}, method
        assert set(np.unique(d.X[:, 0])) != {0.0, 1.0}  # the sampler's own values are continuous
        assert [spec.params["firm_growth"] for spec in d.specs[:40]] == X[:40, 0].astype(int).tolist()
    sob = SweepConfig(method="sobol", samples=8, params=["firm_growth", "comp_mean"], steps=4)
    sob.validate()
    d = design.build(sob)
    assert d.analysed_inputs(METHODS["sobol"]) is d.X  # Sobol' reads the design's layout, not the values

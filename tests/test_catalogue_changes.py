"""A package may change the catalogue's numbers for its own runs (a plausible-worlds study varies them):
the changes are checked, travel with the package's plain data, and act on the model."""

from __future__ import annotations

import dataclasses

import pytest

from simulation import api
from simulation.discovery.design import QUESTIONS, ExploreConfig, build, judgment_space, split_point
from simulation.experiments.runner import RunSpec
from simulation.policy import CATALOGUE, PolicyError, PolicyPackage
from simulation.provenance import CATALOGUE as CATALOGUE_SOURCES
from simulation.provenance import PARAMETERS as PARAMETER_SOURCES
from simulation.scenario import load


def test_changes_reach_every_entry_of_the_instrument_and_no_other():
    package = load("strengthening_only").package
    changed = package.with_catalogue({"capacity_training": {"unit_cost": 2.5, "effects": 0.5}})
    for before, after in zip(package.entries, changed.entries):
        if before.instrument == "capacity_training":
            assert after.spec.unit_cost == 2.5
            assert after.spec.effects == {k: v * 0.5 for k, v in before.spec.effects.items()}
        else:
            assert after.spec == before.spec
    assert CATALOGUE["capacity_training"].unit_cost == 1.0  # the catalogue itself is untouched


def test_changes_survive_plain_data_and_a_package_without_them_keeps_its_data_and_run_ids():
    package = load("strengthening_only").package
    assert "catalogue" not in package.to_dict()
    changed = package.with_catalogue({"export_promotion": {"effects": 1.5}})
    again = PolicyPackage.from_dict(changed.to_dict())
    assert again == changed and again.entries[5].spec == changed.entries[5].spec
    scenario = load("strengthening_only")
    world = dataclasses.replace(scenario, package=changed)
    assert RunSpec.make(world, 1).run_id != RunSpec.make(scenario, 1).run_id
    assert [s.run_id for s in RunSpec.for_seeds(scenario, [1, 2])] == [RunSpec.make(scenario, s).run_id
                                                                       for s in (1, 2)]


@pytest.mark.parametrize("changes, needle", [
    ({"capacity_trainin": {"unit_cost": 1.0}}, "did you mean 'capacity_training'"),
    ({"capacity_training": {"duration": 4}}, "may change unit_cost or effects"),
    ({"capacity_training": {"unit_cost": 0}}, "must be a positive number"),
    ({"capacity_training": {"unit_cost": True}}, "must be a positive number"),
    ({"capacity_training": {"effects": 5.0}}, "at most 3"),
])
def test_a_bad_change_is_one_error_naming_the_instrument_and_key(changes, needle):
    with pytest.raises(PolicyError, match=needle):
        PolicyPackage.from_dict({"name": "p", "entries": [], "catalogue": changes})


def test_stronger_instruments_strengthen_more_on_the_same_seed():
    scenario = load("strengthening_only")
    instruments = {e.instrument for e in scenario.package.entries}

    def gain(factor: float) -> float:
        package = scenario.package.with_catalogue({i: {"effects": factor} for i in instruments})
        return api.run(package, seed=3, steps=12, n_smes=400).timeseries["mean_competitiveness"].iloc[-1]

    assert gain(0.25) < gain(1.0) < gain(2.0)


def test_the_judgment_space_is_every_judged_number_and_nothing_sourced():
    cfg = ExploreConfig(directions=list(QUESTIONS), over="judgment", samples=3, seeds=2)
    space = judgment_space(cfg.claims())
    judged = {n for n, v in PARAMETER_SOURCES.items() if v.kind == "judgment"}
    set_by_arms = judged - set(space)
    assert set_by_arms  # the comparisons' own switches (e.g. the alliance framework's) are not varied
    for claim in cfg.claims():
        for arm, _ in claim.arms:
            set_by_arms -= set(load(arm).params)
    assert not set_by_arms
    assert {n for n in space if "." not in n} <= judged
    catalogue = {f"{i}.{k}" for i, d in CATALOGUE_SOURCES.items() for k, v in d.items() if v.kind == "judgment"}
    assert {n for n in space if "." in n} == catalogue
    for lo, hi in space.values():
        assert lo < hi


def test_each_world_runs_its_own_catalogue_and_the_default_world_the_shipped_one():
    cfg = ExploreConfig(directions=["H4"], over="judgment", samples=3, seeds=2)
    plan = build(cfg)
    assert cfg.grid == 0 and len(plan.points) == 4  # three worlds and the defaults
    names = plan.problem["names"]
    packages = {}
    for spec in plan.specs:
        packages.setdefault(spec.run_id, spec.package)
    by_point = plan.runs.groupby("point")["run_id"].first()
    default_point = int(plan.points.index[plan.points["kind"] == "default"][0])
    assert "catalogue" not in packages[by_point[default_point]]
    world = plan.points.iloc[0]
    params, changes = split_point({n: world[n] for n in names})
    stored = packages[by_point[0]].get("catalogue", {})
    used = {i: d for i, d in changes.items() if any(e["instrument"] == i for e in packages[by_point[0]]["entries"])}
    assert {i: stored.get(i) for i in used} == used


def test_packages_differing_only_in_their_catalogue_run_apart_in_one_batch():
    from simulation.api import run_batch
    from simulation.engine import RunInput

    package = load("strengthening_only").package
    stronger = package.with_catalogue({"capacity_training": {"effects": 3.0}})
    inputs = [RunInput(p, {"n_smes": 300}, 5) for p in (package, stronger)]
    together = run_batch(inputs, steps=8)
    for inp, result in zip(inputs, together):
        alone = run_batch([inp], steps=8)[0]
        assert result.timeseries.equals(alone.timeseries)
    assert not together[0].timeseries.equals(together[1].timeseries)

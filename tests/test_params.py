"""The registry: one definition per parameter, validated inputs, SALib problems."""

from __future__ import annotations

import numpy as np
import pytest

import simulation as sim
from simulation import params, policy
from simulation.sensitivity.problem import problem


def test_every_parameter_is_complete_and_consistent():
    for p in sim.REGISTRY.values():
        assert p.group in params.GROUPS
        assert p.low <= p.default <= p.high
        assert p.unit and p.meaning.endswith(".")
        assert p.coerce(p.default) == p.default
    assert {p.group for p in sim.REGISTRY.values()} == set(params.GROUPS)


def test_resolve_coerces_and_checks():
    values = params.resolve({"n_smes": 500.0, "coordination": 1})
    assert values["n_smes"] == 500 and isinstance(values["n_smes"], int)
    assert values["coordination"] == 1.0 and isinstance(values["coordination"], float)
    for bad, match in [({"coordination": True}, "boolean"), ({"coordination": "high"}, "number"),
                       ({"coordination": float("nan")}, "NaN"), ({"les_per_1000_smes": -1}, "outside"),
                       ({"n_les": 30}, "no longer exists: replaced by 'les_per_1000_smes'"),
                       ({"coordination_loss": 0.4}, "no longer exists: removed: coordination now acts"),
                       ({"cordination": 0.5}, "did you mean 'coordination'")]:
        with pytest.raises(sim.ParameterError, match=match):
            params.resolve(bad)


def test_salib_problem_comes_from_the_registry():
    prob = problem("competitiveness,connectivity")
    names = [p.name for p in params.by_group("competitiveness", "connectivity")]
    assert prob["names"] == names and prob["num_vars"] == len(names)
    assert "groups" not in prob  # SALib would report one index per group
    for name, bounds in zip(prob["names"], prob["bounds"]):
        p = sim.REGISTRY[name]
        assert bounds == list(p.sweep_bounds)
        assert p.low <= bounds[0] <= p.default <= bounds[1] <= p.high
    grouped = problem("competitiveness,connectivity", grouped=True)
    assert grouped["groups"] == [sim.REGISTRY[n].group for n in names]
    assert problem(["ces_rho", "competitiveness"])["names"][0] == "ces_rho"
    with pytest.raises(sim.ParameterError, match="did you mean 'connectivity'"):
        problem("conectivity")


def test_sweep_bounds_can_be_narrowed_but_not_widened():
    prob = problem("conn_mean,comp_mean", bounds={"conn_mean": (0.2, 0.3)})
    assert prob["bounds"][0] == [0.2, 0.3]
    with pytest.raises(sim.ParameterError, match="conn_mean.*0.0 <= low < high <= 0.95"):
        problem("conn_mean", bounds={"conn_mean": (0.5, 1.2)})
    with pytest.raises(sim.ParameterError, match="not among the parameters swept"):
        problem("conn_mean", bounds={"comp_mean": (0.2, 0.3)})


def test_catalogue_covers_the_brief():
    need = {"mapping_study", "awareness_information", "alliance_framework", "strategic_measures",
            "capacity_training", "business_incubation", "access_to_finance", "access_to_finance_guaranteed",
            "technology_upgrading", "physical_infrastructure", "networks_clusters", "export_promotion",
            "trade_liberalization", "performance_requirements", "economic_stimulus"}
    assert need <= set(sim.CATALOGUE)
    for inst in sim.CATALOGUE.values():
        assert inst.level in policy.LEVELS and inst.stage in policy.POLICY_STAGES
        assert inst.determinant in policy.DETERMINANTS and inst.delivered_by in policy.DELIVERERS
        assert inst.mode in policy.MODES and inst.unit_cost > 0
    assert {i.level for i in sim.CATALOGUE.values()} == set(policy.LEVELS)


@pytest.mark.parametrize("entry, match", [
    ({"instrument": "capacity_trainin"}, "did you mean 'capacity_training'"),
    ({"instrument": "export_promotion", "budget": -5}, ">= 0"),
    ({"instrument": "export_promotion", "start": 8, "end": 4}, "start"),
    ({"instrument": "export_promotion", "delivered_by": "province"}, "national, local"),
    ({"instrument": "export_promotion", "budgt": 5}, "did you mean 'budget'"),
    ({"instrument": "export_promotion", "targeting": {"select": "best"}}, "potential, random"),
    ({"instrument": "export_promotion", "targeting": {"regions": [1, -2]}}, "non-negative"),
])
def test_bad_package_entries_are_refused(entry, match):
    with pytest.raises(sim.PolicyError, match=match):
        sim.PolicyPackage.from_dict({"entries": [entry]})


def test_package_round_trips_through_plain_data():
    pkg = sim.PolicyPackage.from_dict({"name": "x", "entries": [
        {"instrument": "capacity_training", "budget": 10, "start": 2, "end": 6,
         "targeting": {"regions": [0, 1], "select": "random"}, "delivered_by": "local"}]})
    assert sim.PolicyPackage.from_dict(pkg.to_dict()) == pkg
    assert pkg.budget_by("level") == {"micro": 10}


def test_replicate_seeds_are_distinct_and_reproducible():
    a = sim.replicate_seeds(50, root=3)
    assert len(set(a)) == 50 and a == sim.replicate_seeds(50, root=3)
    assert a != sim.replicate_seeds(50, root=4)
    assert all(isinstance(s, int) and s >= 0 for s in a)
    assert np.all(np.array(a) < 2**32)

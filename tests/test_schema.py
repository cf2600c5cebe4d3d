"""The input schema (simulation/schema/): one declaration per file kind, one adapter to an error line."""

from __future__ import annotations

import dataclasses

import pytest
from pydantic import ValidationError

from simulation import policy, schema
from simulation.inputs import InputError


def error_of(model, data) -> InputError:
    with pytest.raises(ValidationError) as info:
        model.model_validate(data)
    return schema.errors_to_input_error("f.toml", info.value, InputError, model)


@pytest.mark.parametrize("model, data, line", [
    (schema.ScenarioFile, {"stpes": 4}, "f.toml: stpes: unknown key (did you mean 'steps'?); allowed: "),
    (schema.ScenarioFile, {"steps": True}, "f.toml: steps: must be a whole number, got True"),
    (schema.ScenarioFile, {"package": {"x": {"budget": "1"}}}, "f.toml: package.x.budget: must be a number, got str"),
    (schema.ScenarioFile, {"package": {"x": {"targeting": {"regions": [1, -1]}}}},
     "f.toml: package.x.targeting.regions[1]: must be in [0, 10000], got -1"),
    (schema.ScenarioFile, {"params": {"c\u043eordination": 0.5}},
     "f.toml: params.c\\u043eordination: unknown parameter"),
    (schema.LessonFile, {"title": "t"}, "f.toml: hypothesis: missing; required: title, hypothesis, scenario"),
    (schema.TargetsFile, {"facts": {"a": {"outcome": "x"}}}, "f.toml: facts.a.observed: missing; required: outcome"),
    (schema.SweepFile, {"bounds": {"comp_mean": [0.3, "high"]}}, "f.toml: bounds.comp_mean: must be [low, high]"),
])
def test_every_failure_is_one_line_naming_the_dotted_key(model, data, line):
    assert str(error_of(model, data)).startswith(line)


def test_package_entry_rules_are_stated_once():
    # A file names an entry by its table ([package.NAME]), so ``name`` is the one field it does not write.
    assert schema.ENTRY_KEYS == ({f.name for f in dataclasses.fields(policy.PackageEntry)} - {"name", "spec_override"}
                                 | {"enabled"})
    assert schema.TARGETING_KEYS == {f.name for f in dataclasses.fields(policy.Targeting)}
    too_much = {"package": {"x": {"intensity": policy.MAX_INTENSITY + 1}}}
    assert "must be in [0, 5]" in str(error_of(schema.ScenarioFile, too_much))
    with pytest.raises(policy.PolicyError, match=r"\[0, 5\]"):
        policy.PackageEntry("capacity_training", intensity=policy.MAX_INTENSITY + 1)

"""Every number the model uses says where its value comes from: a source, a calibration, or judgment with a
plausible range (simulation/provenance.py), and the ODD tables show it."""

from __future__ import annotations

import pytest

from simulation import params, policy, provenance
from simulation.params import REGISTRY
from simulation.policy import CATALOGUE


def test_every_parameter_has_a_provenance_and_no_other_name_does():
    assert set(provenance.PARAMETERS) == set(REGISTRY)


def test_every_instrument_says_where_its_unit_cost_and_strengths_come_from():
    assert set(provenance.CATALOGUE) == set(CATALOGUE)
    for name, sources in provenance.CATALOGUE.items():
        assert set(sources) == {"unit_cost", "effects"}, name


def _all():
    for name, v in provenance.PARAMETERS.items():
        yield name, v, REGISTRY[name].sweep
    for name, sources in provenance.CATALOGUE.items():
        for key, v in sources.items():
            yield f"{name}.{key}", v, None


@pytest.mark.parametrize("name, v, sweep", list(_all()), ids=[n for n, _, _ in _all()])
def test_each_provenance_is_a_known_kind_with_words_and_judgment_has_a_range(name, v, sweep):
    assert v.kind in provenance.KINDS, name
    assert len(v.text.split()) >= 4, f"{name}: say where the value comes from"
    if v.kind == "judgment":
        plausible = v.plausible or sweep
        assert plausible is not None and plausible[0] < plausible[1], f"{name}: judgment needs a plausible range"


def test_a_judgment_parameter_range_holds_its_default():
    for name, v in provenance.PARAMETERS.items():
        p = REGISTRY[name]
        if v.kind == "judgment" and v.plausible is not None:
            assert v.plausible[0] <= p.default <= v.plausible[1], name


def test_switches_are_switches_and_calibrated_values_name_their_fact():
    for name, v in provenance.PARAMETERS.items():
        assert (v.kind == "switch") == (REGISTRY[name].group == "mechanisms"), name
        if v.kind == "calibrated":
            assert "targets.toml" in v.text or "calibration" in v.text, name


def test_the_odd_tables_show_every_provenance():
    for table in (params.markdown_table(), policy.markdown_table()):
        rows = [line for line in table.splitlines()[2:]]
        assert rows and all(any(f"{k}:" in row for k in provenance.KINDS) for row in rows)

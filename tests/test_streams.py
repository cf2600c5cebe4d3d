"""Policy random streams are keyed by entry name: one entry more or less moves no other entry's draws.

Common random numbers across packages (``attribute``'s coalitions, a
comparison of two packages that differ by one entry) need each entry's
recipients to be drawn from a stream of its own that does not depend on
where the entry sits in the package.
"""

from __future__ import annotations

import dataclasses

import pytest

from simulation.engine import Batch, RunInput
from simulation.policy import PackageEntry, PolicyError, PolicyPackage
from simulation.scenario import load

SMALL = {"n_smes": 600, "warmup_steps": 2}
# Export promotion comes first in the package but starts last, so a stream spawned by position would give
# every entry after it other draws from quarter 0 on.
PROMOTION = PackageEntry("export_promotion", budget=200.0, start=8, name="promotion")
TRAINING = PackageEntry("capacity_training", budget=300.0, start=0, name="training")
CLUSTERS = PackageEntry("networks_clusters", budget=150.0, start=0, name="clusters")
TECHNOLOGY = PackageEntry("technology_upgrading", budget=200.0, start=2, name="technology")
LATE = PackageEntry("business_incubation", budget=250.0, start=6, name="incubation")


def _deliveries(entries: tuple[PackageEntry, ...], seed: int = 5, steps: int = 12
                ) -> tuple[Batch, dict[tuple[int, str], list[int]]]:
    batch = Batch([RunInput(PolicyPackage("p", entries), SMALL, seed)], steps=steps)
    batch.governments.log = []
    for _ in range(steps):
        batch.quarter()
    return batch, {(t, key): sorted(ids.tolist()) for t, key, _, ids in batch.governments.log}


def _fresh_states(entries: tuple[PackageEntry, ...], seed: int = 5) -> dict[str, tuple]:
    """Each entry's stream state before any quarter with policy: what it will draw."""
    batch = Batch([RunInput(PolicyPackage("p", entries), SMALL, seed)], steps=12)
    return {slot.key: tuple(slot.rngs[0].bit_generator.state["state"]["state"]) for slot in batch.governments.slots}


def _same_until(a: dict, b: dict, keys: set[str], until: int) -> None:
    quarters = {t for t, _ in a} | {t for t, _ in b}
    compared = 0
    for t in sorted(q for q in quarters if q < until):
        for key in keys:
            assert a.get((t, key)) == b.get((t, key)), f"{key} reached other firms in quarter {t}"
            compared += (t, key) in a
    assert compared >= len(keys), "the comparison must cover deliveries"


def test_removing_an_entry_leaves_the_others_draws_and_recipients_until_it_first_delivers():
    full = (PROMOTION, TRAINING, CLUSTERS, TECHNOLOGY)
    without = (TRAINING, CLUSTERS, TECHNOLOGY)
    before, after = _fresh_states(full), _fresh_states(without)
    assert all(before[k] == after[k] for k in after), "an entry's stream depends on the entries beside it"
    _, a = _deliveries(full)
    _, b = _deliveries(without)
    _same_until(a, b, {"training", "clusters", "technology"}, PROMOTION.start)
    assert any(a.get((t, "training")) != b.get((t, "training")) for t in range(PROMOTION.start, 12)), \
        "once promotion delivers, the firms it served weigh on later selections (overlap): recipients may differ"


def test_adding_an_entry_leaves_the_others_draws_and_recipients_until_it_first_delivers():
    base = (TRAINING, CLUSTERS, TECHNOLOGY)
    more = (LATE, TRAINING, CLUSTERS, TECHNOLOGY)
    assert all(_fresh_states(base)[k] == v for k, v in _fresh_states(more).items() if k != "incubation")
    _, a = _deliveries(base)
    _, b = _deliveries(more)
    _same_until(a, b, {"training", "clusters", "technology"}, LATE.start)


def test_a_shipped_scenario_names_its_entries_by_their_tables():
    s = load("integrated")
    assert s.package.entry_keys == s.entry_labels
    assert "export_promotion" in s.entry_labels and "awareness" in s.entry_labels
    # Dropping the first entry keeps every other entry's stream.
    rest = dataclasses.replace(s.package, entries=s.package.entries[1:])
    assert rest.entry_keys == s.package.entry_keys[1:]


def test_unnamed_entries_are_keyed_by_instrument_and_numbered_when_repeated():
    pkg = PolicyPackage("p", (PackageEntry("capacity_training"), PackageEntry("capacity_training"),
                              PackageEntry("export_promotion")))
    assert pkg.entry_keys == ("capacity_training#1", "capacity_training#2", "export_promotion")


def test_two_entries_of_one_name_are_refused():
    with pytest.raises(PolicyError, match="both named 'x'"):
        PolicyPackage("p", (PackageEntry("capacity_training", name="x"), PackageEntry("export_promotion", name="x")))

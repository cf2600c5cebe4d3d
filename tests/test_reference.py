"""The per-agent Mesa reference (benchmarks/reference_per_agent.py) and the engine are the same model.

They draw different random numbers, so they agree only in distribution.
Over 128 seeds of 400 SMEs each, for the main end-of-run outcomes, the test
asks both that a Welch t-test and a Kolmogorov-Smirnov test find no
difference at the 1% level (with fixed seeds the test is deterministic:
it cannot flicker), and that the means differ by less than 8% (a difference
a policy analyst would care about; the direction tests' effects are 15% and
more). The second condition keeps the test meaningful should the spread be
large enough for the first to miss a real bias.

Why 128 seeds: the noisiest outcome, export sales over the horizon (foreign
demand is log-normal with a log-sd near 1.8, so a few large exporters carry
much of it), varies by about 30% of its mean from seed to seed. With n seeds
per side the difference of two means then has a standard error of about
0.3 * sqrt(2 / n): 9% at 24 seeds, where the 8% condition would fail
between two identical models more than a third of the time; at 128 seeds
it is 4%, and 8% is two standard errors.

What it costs: one scenario is 128 reference runs (about 1 s each) and 128
engine runs (about 0.25 s each), some 3 CPU-minutes; the four scenarios
below take about 12 CPU-minutes on a shared two-core machine. The last two
each exercise a mechanism the others leave idle (performance requirements
deterring lead firms' slots, central allocation by need and capacity);
fewer seeds would break the 8% margin's reasoning above, so the seeds stay.
Overlap screening is checked rule by rule below instead: a twin that
ignored it still agreed in distribution on ``integrated_overlapping``, so a
distribution test of that scenario would cost 3 CPU-minutes and see
nothing.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import simulation as sim
from simulation.scenario import load

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from reference_per_agent import ReferenceModel  # noqa: E402

SEEDS = range(128)
OUTCOMES = ("exporters", "gvc_participation", "exits", "new_exporters", "export_sales", "exporter_years",
            "lasting_entrants")
# The integrated package; with the tariff cut; with performance requirements, which cost lead firms supplier
# slots (fdi_deterrence); and run from the centre allocating by need and regional capacity
# (central_need_allocation).
SCENARIOS = ["integrated", "liberalization_with_support", "alliances_on", "centralized_by_capacity"]


@pytest.mark.slow
@pytest.mark.parametrize("name", SCENARIOS)
def test_reference_and_engine_agree_in_distribution(name):
    s = load(name)
    params = {**s.params, "n_smes": 400}
    ref = [ReferenceModel(s.package, seed=k, steps=s.steps, **params).run().summary() for k in SEEDS]
    eng = [sim.run(s.package, seed=k, steps=s.steps, regions=False, **params).summary for k in SEEDS]
    for out in OUTCOMES:
        a = np.array([r[out] for r in ref], dtype=float)
        b = np.array([e[out] for e in eng], dtype=float)
        welch = stats.ttest_ind(a, b, equal_var=False).pvalue
        ks = stats.ks_2samp(a, b).pvalue
        assert welch > 0.01 and ks > 0.01, f"{name} {out}: reference {a.mean():.4g}, engine {b.mean():.4g}, " \
                                          f"Welch p={welch:.3g}, KS p={ks:.3g}"
        assert abs(a.mean() - b.mean()) < 0.08 * abs(b.mean()), f"{name} {out}: means differ by more than 8%"


def test_reference_is_a_per_agent_mesa_model():
    s = load("integrated")
    m = ReferenceModel(s.package, seed=3, steps=2, **{**s.params, "n_smes": 300, "warmup_steps": 4})
    from reference_per_agent import SMEAgent
    assert len(m.agents_by_type[SMEAgent]) == 300
    m.run()
    assert len(m.agents_by_type[SMEAgent]) == 300 and len(m.rows) == 3
    assert m.summary()["export_sales"] > 0.0


def test_reference_rules_of_allocation_overlap_and_deterrence_are_the_engines():
    """The rules behind the last three scenarios, value for value on the same inputs, under every setting of
    their switches. The distribution test cannot see all of them: recipients screened for overlap or not
    move the outcomes by less than its margins."""
    from simulation.mechanisms import alliances, support
    from simulation.mechanisms.alliances import LEArrays

    s = load("centralized_by_capacity")
    m = ReferenceModel(s.package, seed=5, steps=2, **{**s.params, "n_smes": 300, "warmup_steps": 2})
    capacity = np.array(m.capacity)
    les = list(m.les)
    arrays = LEArrays(*(np.array([getattr(le, f) for le in les]) for f in
                        ("sector", "slots", "threshold", "base_openness", "openness")))
    smes = list(m.smes)
    for k, a in enumerate(smes):
        a.support = 0.1 * (k % 3)  # some not served, some served
    stock = np.array([a.support for a in smes])
    entries = {"national": s.package.entries[0], "local": load("integrated").package.entries[1]}
    assert all(e.deliverer == deliverer for deliverer, e in entries.items())
    for central in (0, 1):
        for local_capacity in (0, 1):
            for need_allocation in (0, 1):
                for coordination in (0.0, 0.7):
                    m.p.update(central_need_allocation=central, local_capacity=local_capacity,
                               need_allocation=need_allocation, coordination=coordination)
                    for deliverer, e in entries.items():
                        assert m._efficiency(e) == pytest.approx(
                            np.maximum(support.delivery_efficiency(capacity, deliverer, m.p), 1e-9))
                        for knowledge in (0, 1):
                            m.p["local_knowledge"] = knowledge
                            assert [m._reading_capacity(e, r) for r in range(len(capacity))] == pytest.approx(
                                support.reading_capacity(capacity, deliverer, m.p))
                        assert m._follows_need(e) == bool(support.follows_need(deliverer, m.p)[0])
    for screening in (0.0, 0.4, 1.0):
        m.p.update(coordination=0.9, overlap_screening=screening)
        assert [m._overlap_weight(a) for a in smes] == pytest.approx(
            support.overlap_weight(stock, support.screening(m.p)))
    for switch in (0, 1):
        for level in (0.0, 0.3, 0.6, 1.0):
            m.p.update(fdi_deterrence=switch, requirement_deterrence=0.4)
            m.requirement_level = level
            assert [le.kept_slots() for le in les] == alliances.open_slots(arrays, level, m.p).tolist()

"""Which mechanism carries each direction: paired effects at the defaults and with mechanisms switched off.

A *direction* is a claim of the domain brief (H1-H4, the liberalization
claim, the H2 control) measured as a signed sum of scenario arms run on the
same seeds: ``treatment - control`` for a pair, ``(lib+support - support) -
(lib - none)`` for the liberalization interaction. Its *ablation* reruns
every arm with one mechanism switch (registry group ``mechanisms``) at 0,
then with all the mechanisms the brief names for it at 0 together. A
direction is *carried* by its named mechanisms when switching them all off
removes at least half of its effect (point estimate).

The experiment design (this module), the runs (the crash-safe runner) and
the report (``reporting/hypotheses.py``) are separate; results are a plain
table, one row per run.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..api import summarize
from ..params import by_group
from ..scenario import load
from .backends import Backend
from .compare import paired_ci
from .runner import RunSpec, chunk_size, outcome_rows, run_specs
from .store import RunStore

DEFAULTS = "defaults"
ALL_NAMED = "all named off"
NAMED_AND_ALSO = "named and chain off"
SWITCHES: tuple[str, ...] = tuple(p.name for p in by_group("mechanisms"))


@dataclass(frozen=True)
class Direction:
    """A claim as a signed sum of paired arms, the mechanisms the brief names for it, and its causal chain."""

    name: str
    claim: str
    arms: tuple[tuple[str, int], ...]          # (scenario, sign)
    outcomes: tuple[str, ...]                  # the first is the one the claim is judged on
    mechanisms: tuple[str, ...]                # switches the domain brief names for this direction (ODD 1)
    chain: tuple[str, ...]                     # the causal chain, as code references with a gloss
    params: dict[str, Any] = field(default_factory=dict)
    expect: int = 1                            # the sign the claim predicts (0: no difference)
    also: tuple[str, ...] = ()                 # mechanisms the chain also uses, switched off with the named ones
    claims: tuple[tuple[str, int], ...] = ()   # further outcomes the claim predicts a sign for, judged apart
    part_of: str = ""                          # the paper's hypothesis this question is one part of

    @property
    def scenarios(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.arms)


# What every question is judged on first: exporting that lasts (half of first entrants stop within a year).
LASTING: tuple[str, ...] = ("exporter_years", "lasting_entrants", "new_exporters", "exporters")
_H1_CHAIN = "trade.export_decisions: capability and barriers decide entry; trade.update_experience: spells last"

# What a tariff cut does through the home market, firm by firm (docs/ODD.md 7.19-7.21).
_LIBERALIZATION_CHAIN = (
    "model.enforce: the tariff cut in force",
    "market.HomeMarket.requirement: imports take share of each region's home market, so the competitiveness "
    "at which home sales cover fixed costs rises",
    "trade.input_cost_saving: firms that import inputs pay less for them, in proportion to their imported share",
    "market.profit_shortfall, demography.exit_hazard: firms whose home and foreign profit no longer cover "
    "fixed costs close",
    "market.HomeMarket.requirement: an exit frees demand for the survivors of its region",
    "demography.grow_firms: firms shed workers as their standing falls")
DIRECTIONS: tuple[Direction, ...] = (
    Direction(
        "H1", "Integrated beats fragmented: the same instruments and budget, organised with coordination, "
              "sequencing and targeting, bring more exporting that lasts (and more new exporters).",
        (("integrated", 1), ("fragmented", -1)),
        (*LASTING, "new_exporters_per_musd", "export_sales"),
        ("absorptive_capacity", "targeting", "overlap", "need_allocation"),
        ("scenarios/fragmented.toml: same entries as integrated; coordination 0.1, all programmes from "
         "quarter 0, recipients at random",
         "governments.Governments._deliver -> support.selection_weights: mapped potential "
         "(targeting) and coordination's overlap weight pick recipients",
         "support.absorptive_capacity: strengthening absorbed in part by precondition SMEs (sequencing)",
         "support.support_response: concave in support held (overlap)",
         "support.regional_allocation: locally delivered budgets follow estimated need as far as "
         "levels coordinate",
         _H1_CHAIN),
        claims=(("new_exporters", 1),)),
    Direction(
        "H1 allocation by need", "One part of integration: local budgets that follow estimated need beat the "
                                 "same package with budgets by SME numbers.",
        (("integrated", 1), ("integrated_by_numbers", -1)),
        (*LASTING, "exporter_years_low_capacity"),
        ("need_allocation", "local_capacity"),
        ("scenarios/integrated_by_numbers.toml: need_allocation = 0, all else as integrated",
         "support.estimated_need, support.regional_allocation: budgets follow need x delivery efficiency",
         "support.delivery_efficiency: money sent to capable regions reaches more firms",
         _H1_CHAIN),
        part_of="H1", claims=(("new_exporters", 1),)),
    Direction(
        "H1 complementarity", "One part of integration: strengthening on both determinants beats the same "
                              "money on competitiveness alone.",
        (("integrated", 1), ("integrated_competitiveness_only", -1)),
        LASTING,
        ("complementarity",),
        ("scenarios/integrated_competitiveness_only.toml: connectivity programmes' 700 kUSD moved to "
         "training, technology and credit",
         "trade.capability: CES of competitiveness and connectivity (complements when ces_rho < 0)",
         "support.support_response: each programme saturates in the support an SME holds",
         _H1_CHAIN),
        part_of="H1", claims=(("new_exporters", 1),)),
    Direction(
        "H1 avoided overlap", "One part of integration: agencies that screen out SMEs already served beat "
                              "agencies that do not.",
        (("integrated", 1), ("integrated_overlapping", -1)),
        LASTING,
        ("overlap",),
        ("scenarios/integrated_overlapping.toml: overlap_screening = 0 (budgets still coordinated)",
         "support.overlap_weight: served SMEs weigh 1 - coordination x overlap_screening in selection",
         "support.support_response: a second programme adds less to an SME already served",
         _H1_CHAIN),
        part_of="H1", claims=(("new_exporters", 1),)),
    Direction(
        "H1 targeting", "One part of integration: programmes that pick recipients by mapped potential beat "
                        "the same programmes picking at random.",
        (("integrated", 1), ("integrated_untargeted", -1)),
        LASTING,
        ("targeting",),
        ("scenarios/integrated_untargeted.toml: every programme selects at random",
         "support.targeting_score: mapped potential to the power targeting_strength",
         _H1_CHAIN),
        part_of="H1", claims=(("new_exporters", 1),)),
    Direction(
        "sequencing", "Precondition entries first, then strengthening, beats the same instruments and money "
                      "all from quarter 0 (H4's process claim, and one part of integration in H1).",
        (("integrated", 1), ("integrated_simultaneous", -1)),
        LASTING,
        ("absorptive_capacity", "targeting"),
        ("scenarios/integrated_simultaneous.toml: every entry starts in quarter 0",
         "support.absorptive_capacity: strengthening programmes reaching precondition SMEs are absorbed "
         "in part",
         "support.selection_weights: strengthening picks by potential only once mapping has revealed it",
         _H1_CHAIN),
        part_of="H4", claims=(("new_exporters", 1),)),
    Direction(
        "H2", "Coordinated decentralized delivery beats centralized delivery when regions differ.",
        (("decentralized_coordinated", 1), ("centralized", -1)),
        (*LASTING, "exporter_years_low_capacity"),
        ("need_allocation", "local_capacity"),
        ("governments.Governments._allocation -> support.estimated_need: need read off mapped SMEs, "
         "with an error that falls with local capacity",
         "support.regional_allocation: local budgets follow need x delivery efficiency, national ones "
         "SME numbers",
         "support.delivery_efficiency: local delivery as good as local capacity, national at the mean",
         "trade.export_decisions"),
        claims=(("new_exporters", 1),)),
    Direction(
        "H2 same rules", "Decentralized delivery beats a centre that allocates by the same rule (revealed "
                         "need times regional capacity, delivered through the regions): local knowledge alone.",
        (("decentralized_coordinated", 1), ("centralized_by_capacity", -1)),
        (*LASTING, "exporter_years_low_capacity"),
        ("local_knowledge",),
        ("scenarios/centralized_by_capacity.toml: central_need_allocation = 1",
         "support.reading_capacity: the centre reads every region's need with the error of average capacity, "
         "a local government with its own",
         "support.regional_allocation: both arms follow need x delivery efficiency",
         "trade.export_decisions"),
        claims=(("new_exporters", 1),)),
    Direction(
        "H2 control", "With identical regions, decentralized and centralized delivery do about equally well.",
        (("decentralized_coordinated", 1), ("centralized", -1)),
        (*LASTING,),
        ("need_allocation", "local_capacity"),
        ("as H2, with region_heterogeneity = 0: every region has the same capacity and need",),
        params={"region_heterogeneity": 0.0}, expect=0),
    Direction(
        "H3", "Alliances on beat alliances off: the alliance framework and performance requirements bring more "
              "exporting that lasts and more GVC participation, net of the investment requirements deter.",
        (("alliances_on", 1), ("alliances_off", -1)),
        (*LASTING, "gvc_participation", "export_sales"),
        ("alliance_policy",),
        ("governments.Governments._enforce -> engine.Batch.enforce: framework and requirement levels",
         "alliances.openness_target, alliances.adjust_openness: LE openness rises",
         "alliances.open_slots: requirements deter investment, lead firms keep fewer supplier slots",
         "alliances.form_alliances: more free slots searched; SMEs above the LE's bar and connected enough",
         "alliances.transfer_technology: allies learn; requirements deepen it"),
        claims=(("gvc_participation", 1),)),
    Direction(
        "H4", "Precondition then strengthening beats strengthening only, at the same budget (sequencing and "
              "the awareness instrument together; each is its own question below).",
        (("integrated", 1), ("strengthening_only", -1)),
        (*LASTING, "export_sales"),
        ("absorptive_capacity", "targeting"),
        ("mapping_study marks SMEs; awareness_information lowers the knowledge barrier "
         "(learning.become_aware: precondition -> strengthening)",
         "support.absorptive_capacity: strengthening programmes reaching precondition SMEs are absorbed "
         "in part",
         "support.selection_weights: mapped potential steers strengthening programmes",
         "trade.entry_cost: the knowledge barrier adds to the sunk entry cost"),
        also=("knowledge_barrier",), claims=(("new_exporters", 1),)),
    Direction(
        "H4 awareness", "The awareness instrument by itself: strengthening with an awareness campaign beats "
                        "strengthening only, at the same money and with no sequencing.",
        (("strengthening_with_awareness", 1), ("strengthening_only", -1)),
        LASTING,
        ("knowledge_barrier",),
        ("scenarios/strengthening_with_awareness.toml: awareness from quarter 0, its money from strengthening",
         "support.apply_programme: awareness lowers the knowledge barrier (strength 0.55 a dose)",
         "trade.entry_cost: the knowledge barrier adds knowledge_cost to the sunk entry cost",
         _H1_CHAIN),
        part_of="H4", claims=(("new_exporters", 1),)),
    Direction(
        "liberalization alone", "A tariff cut without support raises exits.",
        (("liberalization_only", 1), ("no_policy", -1)),
        ("exits", "exporter_years", "lasting_entrants", "new_exporters", "exporters"),
        ("import_competition", "home_market_shares"),
        _LIBERALIZATION_CHAIN),
    Direction(
        "liberalization", "Support changes what a tariff cut does: interaction (lib+support - support) - "
                          "(lib - none) on exits (claim: negative) and exporter-years (claim: positive).",
        (("liberalization_with_support", 1), ("integrated", -1), ("liberalization_only", -1),
         ("no_policy", 1)),
        ("exits", "exporter_years", "lasting_entrants", "new_exporters", "exporters"),
        ("import_competition", "home_market_shares", "imported_inputs", "access_upgrading"),
        (*_LIBERALIZATION_CHAIN,
         "demography.entrants: would-be entrants judge the new requirement",
         "trade.foreign_profit: margins abroad rise; learning.exogenous_barrier: foreign barriers fall",
         "trade.entry_cost, trade.capability: SMEs that support made aware and capable take the higher "
         "margins abroad (the interaction on exporters)",
         "market.competitiveness_return, market.upgrade: a step in technology pays more over more sales, so "
         "firms with access (exporters) upgrade more"),
        expect=-1, also=("complementarity", "knowledge_barrier"), claims=(("exporter_years", 1),)),
)


def direction(name: str) -> Direction:
    for d in DIRECTIONS:
        if d.name == name:
            return d
    raise KeyError(f"unknown direction {name!r}; directions are {', '.join(d.name for d in DIRECTIONS)}")


def variants(d: Direction, one_at_a_time: Sequence[str] = SWITCHES) -> dict[str, dict[str, int]]:
    """Parameter overrides of each variant: the defaults, each switch off, all named switches off."""
    out: dict[str, dict[str, int]] = {DEFAULTS: {}}
    for m in one_at_a_time:
        out[f"-{m}"] = {m: 0}
    out[ALL_NAMED] = dict.fromkeys(d.mechanisms, 0)
    if d.also:
        out[NAMED_AND_ALSO] = dict.fromkeys((*d.mechanisms, *d.also), 0)
    return out


@dataclass(frozen=True)
class Cell:
    """One run of the design: a direction's variant, arm and seed."""

    direction: str
    variant: str
    scenario: str
    sign: int
    spec: RunSpec


def design(directions: Sequence[Direction], seeds: Sequence[int],
           one_at_a_time: Sequence[str] = SWITCHES) -> list[Cell]:
    """Every run the ablation needs; runs shared by several directions have one id and run once."""
    cells = []
    for d in directions:
        for variant, overrides in variants(d, one_at_a_time).items():
            for name, sign in d.arms:
                scenario = load(name)
                for seed in seeds:
                    spec = RunSpec.make(scenario, seed, extra_params={**d.params, **overrides})
                    cells.append(Cell(d.name, variant, name, sign, spec))
    return cells


SUMMARY_OUTCOMES: tuple[str, ...] = ("exporter_years", "lasting_entrants", "exporter_years_low_capacity",
                                     "new_exporters", "new_exporters_per_musd", "exporters", "export_sales",
                                     "gvc_participation", "exits", "budget_spent")


def _summary_row(ts: pd.DataFrame) -> dict[str, float]:
    s = summarize(ts)
    return {k: float(s[k]) for k in SUMMARY_OUTCOMES}


def run(cells: Sequence[Cell], folder: Path, backend: Backend, quiet: bool = False) -> pd.DataFrame:
    """Run (or resume) every cell in ``folder``'s store; one row of summary outcomes per run."""
    store = RunStore(folder, ("results",))
    specs = [c.spec for c in cells]
    unique = len({s.run_id for s in specs})
    run_specs(specs, store, backend, quiet=quiet, label="ablation", whole=True,
              work=functools.partial(outcome_rows, read=_summary_row, kind="results"),
              chunk=chunk_size(unique, backend.workers))
    return store.read("results").drop_duplicates("run_id").set_index("run_id")


def effects(cells: Sequence[Cell], results: pd.DataFrame, directions: Sequence[Direction]) -> pd.DataFrame:
    """One row per (direction, variant, outcome): the paired effect, its 95% CI, and its share of the default."""
    frame = pd.DataFrame([{"direction": c.direction, "variant": c.variant, "scenario": c.scenario,
                           "sign": c.sign, "seed": c.spec.seed, "run_id": c.spec.run_id} for c in cells])
    rows = []
    for d in directions:
        sub = frame[frame["direction"] == d.name]
        for out in d.outcomes:
            values = results.loc[sub["run_id"], out].to_numpy(dtype=float)
            sub = sub.assign(value=values * sub["sign"].to_numpy())
            per_seed = sub.groupby(["variant", "seed"])["value"].sum()
            default = None
            for variant in _ordered(sub["variant"].unique()):
                diff = per_seed.loc[variant].to_numpy(dtype=float)
                mean, lo, hi, _ = paired_ci(diff)
                if variant == DEFAULTS:
                    default = mean
                named = variant == ALL_NAMED or variant.lstrip("-") in d.mechanisms
                rows.append({"direction": d.name, "variant": variant, "outcome": out, "seeds": len(diff),
                             "effect": mean, "ci_low": lo, "ci_high": hi, "named": named,
                             "share_of_default": mean / default if default else np.nan})
    return pd.DataFrame(rows)


def _ordered(names: Sequence[str]) -> list[str]:
    """Defaults first, then one-at-a-time variants in registry order, then all named off."""
    rank = {DEFAULTS: -1, ALL_NAMED: len(SWITCHES), NAMED_AND_ALSO: len(SWITCHES) + 1}
    rank.update({f"-{m}": i for i, m in enumerate(SWITCHES)})
    return sorted(names, key=lambda v: rank.get(v, len(SWITCHES) + 2))

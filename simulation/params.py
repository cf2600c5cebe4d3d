"""The parameter registry: every model parameter, once.

Each :class:`Parameter` carries its name, default, bounds, unit, group and a
one-line meaning. The model validates its inputs here; scenario files, the
SALib problem, the UI sliders and the ODD parameter table all read this
registry, so nothing else in the project may restate a default or a bound.

Where each value comes from is :mod:`simulation.provenance` (pure data); this module imports nothing
else of the project but :mod:`simulation.inputs`'s ``show`` (how a value appears in an error message).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .inputs import show
from .provenance import PARAMETERS as _PROVENANCE
from .provenance import cited

GROUPS: tuple[str, ...] = ("competitiveness", "connectivity", "policy", "environment", "population", "mechanisms")

# Parameters that were removed or renamed, with what replaces them: an input
# that still names one gets this message instead of "unknown parameter".
RETIRED: dict[str, str] = {
    "n_les": "replaced by 'les_per_1000_smes' (large enterprises per 1,000 SMEs, at least one), so the economy's "
             "structure does not change with its size",
    "born_global_eo": "removed: there is no entrepreneurial-orientation cutoff any more; 'eo_knowledge_discount' "
                      "sets how much entrepreneurial orientation lowers the knowledge barrier to export entry "
                      "(docs/ODD.md 7.15)",
    "coordination_loss": "removed: coordination now acts through overlap and regional allocation, and local "
                         "delivery loses through low local capacity (docs/ODD.md 7.2-7.3); see also "
                         "'need_noise'",
}


class ParameterError(ValueError):
    """An input names an unknown parameter or gives it a value it cannot take."""


@dataclass(frozen=True)
class Parameter:
    """One model parameter: the single source of its default, range and meaning."""

    name: str
    default: float | int
    low: float | int
    high: float | int
    unit: str
    group: str
    meaning: str
    kind: type = float
    sweep: tuple[float, float] | None = None  # plausible range explored by sweeps; None: the whole range

    def __post_init__(self) -> None:
        if self.group not in GROUPS:
            raise ValueError(f"{self.name}: unknown group {self.group!r}")
        if not self.low <= self.default <= self.high:
            raise ValueError(f"{self.name}: default outside its bounds")
        if self.sweep is not None and not self.low <= self.sweep[0] < self.sweep[1] <= self.high:
            raise ValueError(f"{self.name}: sweep range outside its bounds")

    @property
    def bounds(self) -> tuple[float, float]:
        """The values the model accepts."""
        return (self.low, self.high)

    @property
    def sweep_bounds(self) -> tuple[float, float]:
        """The range sensitivity sweeps and sliders explore by default (plausible values)."""
        return self.sweep if self.sweep is not None else self.bounds

    def coerce(self, value: Any) -> float | int:
        """Return ``value`` as this parameter's type, or raise ParameterError."""
        if isinstance(value, bool):
            raise ParameterError(f"parameter {self.name!r} must be a number, got a boolean ({value!r})")
        if self.kind is int:
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            if not isinstance(value, int):
                raise ParameterError(f"parameter {self.name!r} must be a whole number, got {show(value)}")
        else:
            if not isinstance(value, (int, float)):
                raise ParameterError(
                    f"parameter {self.name!r} must be a number, got {type(value).__name__} {show(value)}"
                )
            try:
                value = float(value)
            except OverflowError:
                raise ParameterError(f"parameter {self.name!r} must be a number in [{self.low}, {self.high}], "
                                     f"got {show(value)}") from None
            if value != value:  # NaN
                raise ParameterError(f"parameter {self.name!r} must be a number, got NaN")
        if not self.low <= value <= self.high:
            raise ParameterError(
                f"parameter {self.name!r} = {show(value)} is outside its allowed range "
                f"[{self.low}, {self.high}] ({self.unit})"
            )
        return value


def _p(name, default, low, high, unit, group, meaning, kind=float, sweep=None) -> Parameter:
    return Parameter(name, default, low, high, unit, group, meaning, kind, sweep)


def _switch(name: str, meaning: str) -> Parameter:
    """A mechanism switch: 1 runs the mechanism, 0 switches it off (for ablations)."""
    return Parameter(name, 1, 0, 1, "on/off", "mechanisms", f"Mechanism switch (1 on, 0 off): {meaning}", int)


# Defaults: the parameters calibration/targets.toml fits (entry_cost, size_elasticity, le_export_value,
# demand_uncertainty, decision_noise, growth_volatility, size_tail, export_margin_rate, continuation_cost,
# decision_persistence) are the rounded best fit in calibration/runs/ (refitted in 0.9.0 with exporter
# persistence and export intensity among the facts); the others are judgment or sources, with their reasons in
# docs/calibration.md; none was changed to make a direction of docs/hypotheses.md hold.
_PARAMETERS: tuple[Parameter, ...] = (
    # --- population -------------------------------------------------------
    _p("n_smes", 2000, 10, 2_000_000, "firms", "population",
       "Number of SMEs (kept roughly constant: exits are replaced by entrants).", int),
    _p("n_regions", 10, 1, 200, "regions", "population",
       "Number of regions (districts), each with one local government.", int),
    _p("n_sectors", 5, 1, 50, "sectors", "population",
       "Number of sectors; each LE buys from SMEs of its own sector.", int),
    _p("les_per_1000_smes", 15.0, 0.0, 500.0, "firms per 1,000 SMEs", "population",
       "Large enterprises (lead firms / MNEs) per 1,000 SMEs; at least one unless 0.", sweep=(7.5, 30.0)),
    _p("size_tail", 1.97, 1.05, 4.0, "-", "population",
       "Pareto tail exponent of SME employment (1 is Zipf; larger means more micro firms).", sweep=(1.5, 2.5)),
    _p("eo_mean", 0.3, 0.02, 0.98, "0-1", "population",
       "Mean entrepreneurial orientation (the born-global trait).", sweep=(0.2, 0.4)),
    _p("region_heterogeneity", 1.0, 0.0, 1.0, "0-1", "population",
       "How much regions differ in infrastructure and local capacity (0 = identical regions).", sweep=(0.0, 1.0)),
    _p("base_exit_rate", 0.0099, 0.0, 0.2, "1/quarter", "population",
       "Quarterly exit hazard of a firm that faces no competitive shortfall.", sweep=(0.004, 0.02)),
    _p("entrant_noise", 0.1, 0.01, 1.0, "0-1", "population",
       "Sd of a would-be entrant's error in judging its competitiveness against what the home market "
       "requires (entrants enter when they judge they can hold it).", sweep=(0.05, 0.3)),
    _p("growth_volatility", 0.105, 0.0, 1.0, "log/quarter", "population",
       "Sd of a one-worker firm's quarterly log employment growth (Gibrat shocks; falls as size^-0.2).",
       sweep=(0.08, 0.25)),
    # --- competitiveness --------------------------------------------------
    _p("comp_mean", 0.26, 0.05, 0.95, "0-1", "competitiveness",
       "Mean initial level of each competitiveness component.", sweep=(0.2, 0.5)),
    _p("finance_firm_link", 0.0, 0.0, 0.78, "-", "competitiveness",
       "Loading of the firm's overall quality on its access to finance (0: finance rests on collateral and "
       "banks, not on management; 0.6: like the other components).", sweep=(0.0, 0.6)),
    _p("comp_depreciation", 0.04, 0.0, 0.5, "1/quarter", "competitiveness",
       "Rate at which competitiveness falls back to the firm's lasting level.", sweep=(0.01, 0.1)),
    _p("support_persistence", 0.4, 0.0, 1.0, "0-1", "competitiveness",
       "Share of a programme's gain that becomes lasting capability.", sweep=(0.1, 0.7)),
    _p("absorptive_precondition", 0.3, 0.0, 1.0, "0-1", "competitiveness",
       "Share of a strengthening programme an SME still in precondition can absorb.", sweep=(0.1, 0.6)),
    _p("survival_threshold", 0.22, 0.0, 0.8, "0-1", "competitiveness",
       "Competitiveness at which home sales just cover fixed costs in the opening market.", sweep=(0.12, 0.32)),
    _p("learning_by_exporting", 0.03, 0.0, 0.3, "1/quarter", "competitiveness",
       "Quarterly gain in quality and market knowledge while exporting.", sweep=(0.0, 0.08)),
    _p("tech_transfer", 0.05, 0.0, 0.5, "1/quarter", "competitiveness",
       "Quarterly technology and skill transfer from an LE to its allied SME.", sweep=(0.0, 0.12)),
    _p("le_threshold", 0.42, 0.05, 0.95, "0-1", "competitiveness",
       "Mean competitiveness an LE requires of a supplier.", sweep=(0.3, 0.55)),
    _p("growth_competitiveness", 2.0, 0.0, 10.0, "-", "competitiveness",
       "Elasticity of employment to the firm's competitive margin over what the home market requires (log "
       "growth per unit change: support and learning add workers, import competition sheds them).",
       sweep=(0.0, 4.0)),
    _p("upgrade_step", 0.01, 0.0, 0.2, "share/quarter", "competitiveness",
       "Share of its distance to the frontier a firm's technology gains in a quarter it upgrades.",
       sweep=(0.005, 0.03)),
    _p("upgrade_cost", 0.015, 0.0, 10.0, "kUSD/quarter/worker", "competitiveness",
       "Amortized cost of a quarter's upgrading step, per worker.", sweep=(0.008, 0.03)),
    _p("exporter_growth", 0.01, 0.0, 0.1, "log/quarter", "competitiveness",
       "Extra quarterly employment growth of a firm while it exports (foreign sales, learning by exporting).",
       sweep=(0.0, 0.03)),
    # --- connectivity -----------------------------------------------------
    _p("conn_mean", 0.3, 0.0, 0.95, "0-1", "connectivity",
       "Mean initial level of the firm-level connectivity components.", sweep=(0.15, 0.45)),
    _p("conn_depreciation", 0.04, 0.0, 0.5, "1/quarter", "connectivity",
       "Rate at which connectivity falls back to the firm's lasting level.", sweep=(0.01, 0.1)),
    _p("infrastructure_mean", 0.4, 0.0, 1.0, "0-1", "connectivity",
       "Mean regional infrastructure level.", sweep=(0.2, 0.6)),
    _p("awareness_threshold", 0.5, 0.05, 0.95, "0-1", "connectivity",
       "Knowledge barrier below which an SME leaves the precondition stage.", sweep=(0.35, 0.65)),
    _p("eo_knowledge_discount", 0.8, 0.0, 1.0, "0-1", "connectivity",
       "Share of its knowledge barrier a firm of full entrepreneurial orientation overcomes when it weighs "
       "export entry (the born-global shortcut).", sweep=(0.5, 1.0)),
    _p("network_spillover", 0.08, 0.0, 0.5, "1/quarter", "connectivity",
       "Learning from exporting peers of the same region and sector, through network ties.", sweep=(0.0, 0.2)),
    _p("le_openness", 0.3, 0.0, 1.0, "0-1", "connectivity",
       "Baseline openness of LEs to new SME suppliers.", sweep=(0.1, 0.5)),
    _p("alliance_dissolution", 0.03, 0.0, 0.5, "1/quarter", "connectivity",
       "Quarterly hazard that an alliance ends even when the SME still qualifies.", sweep=(0.01, 0.08)),
    _p("connectivity_required", 0.3, 0.0, 0.9, "0-1", "connectivity",
       "Connectivity an LE needs to see in an SME before it can take it as a supplier.", sweep=(0.15, 0.45)),
    # --- environment ------------------------------------------------------
    _p("warmup_steps", 8, 0, 200, "quarters", "environment",
       "Unrecorded quarters run before t = 0 so stages and exports settle (no policy).", int),
    _p("ces_rho", -2.0, -10.0, 1.0, "-", "environment",
       "CES exponent joining competitiveness and connectivity (negative: complements).", sweep=(-4.0, 0.5)),
    _p("capability_elasticity", 2.0, 0.5, 5.0, "-", "environment",
       "Elasticity of expected foreign profit with respect to export capability.", sweep=(1.0, 3.0)),
    _p("size_elasticity", 0.149, 0.0, 1.5, "-", "environment",
       "Elasticity of expected foreign profit with respect to firm size.", sweep=(0.1, 0.5)),
    _p("export_margin", 1.0, 0.05, 10.0, "kUSD/quarter", "environment",
       "Foreign operating profit of a one-worker firm at full capability.", sweep=(0.5, 2.0)),
    _p("entry_cost", 2.14, 0.0, 10.0, "kUSD/quarter", "environment",
       "Sunk export entry cost, amortized per quarter, at the highest resource and procedure barriers.",
       sweep=(0.8, 2.5)),
    _p("knowledge_cost", 1.0, 0.0, 10.0, "kUSD/quarter", "environment",
       "Extra sunk entry cost, amortized per quarter, at a full knowledge barrier: finding foreign buyers "
       "and learning their markets.", sweep=(0.3, 2.0)),
    _p("continuation_cost", 0.0102, 0.0, 10.0, "kUSD/quarter", "environment",
       "Quarterly fixed cost of staying in export markets.", sweep=(0.005, 0.08)),
    _p("experience_discount", 0.6, 0.0, 1.0, "0-1", "environment",
       "Share of the entry cost saved by a firm with full recent export experience.", sweep=(0.3, 0.9)),
    _p("demand_uncertainty", 2.19, 0.0, 3.0, "-", "environment",
       "Dispersion (log sd) across firms of foreign demand, which a firm learns only by exporting.",
       sweep=(1.0, 2.5)),
    _p("demand_drift", 0.05, 0.0, 1.0, "1/quarter", "environment",
       "Quarterly mean reversion of a firm's log foreign demand (its market drifts; 0: fixed for life).",
       sweep=(0.0, 0.2)),
    _p("decision_noise", 0.955, 0.0, 2.0, "-", "environment",
       "Log-sd of a firm's error in judging its foreign profit (entry and exit).", sweep=(0.2, 1.2)),
    _p("decision_persistence", 0.507, 0.0, 0.95, "-", "environment",
       "Quarterly autocorrelation of a firm's judgement error (optimism and pessimism last a few quarters).",
       sweep=(0.0, 0.8)),
    _p("export_margin_rate", 0.0331, 0.02, 1.0, "share", "environment",
       "Operating margin on export sales: export sales are foreign operating profit over this rate.",
       sweep=(0.03, 0.3)),
    _p("home_sales_per_worker", 1.1, 0.01, 1000.0, "kUSD/quarter", "environment",
       "Quarterly home sales per worker of a firm at the survival threshold in the opening market (with "
       "home_gross_margin, fixed costs).", sweep=(0.5, 2.5)),
    _p("home_gross_margin", 0.25, 0.02, 0.9, "share", "environment",
       "Share of sales left after variable costs, which pays fixed costs.", sweep=(0.15, 0.4)),
    _p("home_share_elasticity", 3.5, 0.5, 20.0, "1/unit", "environment",
       "Home sales per worker are proportional to exp(this x competitiveness).", sweep=(2.5, 5.0)),
    _p("import_penetration", 0.25, 0.0, 0.9, "share", "environment",
       "Imports' share of home demand in the opening market.", sweep=(0.1, 0.4)),
    _p("entrant_customers", 0.6, 0.05, 1.0, "share", "environment",
       "Share of its eventual customers a new firm starts with.", sweep=(0.4, 0.9)),
    _p("customer_build_up", 8.0, 1.0, 40.0, "quarters", "environment",
       "Quarters a new firm takes to build the rest of its customers, linearly.", sweep=(4.0, 16.0)),
    _p("import_pressure", 0.08, 0.0, 1.0, "0-1", "environment",
       "Rise in the competitiveness the opening home market needs per unit of tariff cut.", sweep=(0.0, 0.2)),
    _p("importer_share", 0.25, 0.0, 1.0, "share", "environment",
       "Share of SMEs that buy inputs abroad.", sweep=(0.1, 0.4)),
    _p("import_intensity", 0.2, 0.0, 0.5, "share of sales", "environment",
       "Mean imported inputs over sales among importers (uniform on 0 to twice this).", sweep=(0.1, 0.3)),
    _p("input_tariff", 0.15, 0.0, 1.0, "ad valorem", "environment",
       "Tariff on imported inputs before liberalization (a cut of 1 removes it).", sweep=(0.05, 0.25)),
    _p("liberalization_export_gain", 0.3, 0.0, 2.0, "-", "environment",
       "Rise in foreign margins per unit of tariff cut (partner tariffs fall too).", sweep=(0.1, 0.6)),
    _p("competition_exit", 0.4, 0.0, 5.0, "1/quarter", "environment",
       "Extra quarterly exit hazard per unit of profit shortfall (the fixed costs home and foreign margins "
       "leave uncovered, in units of competitiveness).", sweep=(0.2, 0.8)),
    _p("gvc_shock_step", -1, -1, 10_000, "quarter", "environment",
       "Quarter of a GVC consolidation / reshoring shock (-1: none).", int),
    _p("gvc_shock_size", 0.0, 0.0, 1.0, "0-1", "environment",
       "Fall in LE openness to new suppliers caused by the shock."),
    _p("le_export_value", 642.0, 0.0, 100_000.0, "kUSD/quarter", "environment",
       "Quarterly direct exports of one large enterprise (for the SME share of exports)."),
    # --- policy -----------------------------------------------------------
    _p("coordination", 0.3, 0.0, 1.0, "0-1", "policy",
       "Coordination among agencies and between national and local government.", sweep=(0.0, 1.0)),
    _p("need_noise", 0.5, 0.0, 3.0, "-", "policy",
       "Log-sd of a government's error in estimating a region's need from mapped SMEs, at zero reading "
       "capacity (none at full capacity); a local government reads at its own capacity, the centre at the "
       "average.", sweep=(0.0, 1.0)),
    _p("support_saturation", 1.0, 0.05, 10.0, "programmes", "policy",
       "Dose scale of an SME's concave response to support (overlap saturates it).", sweep=(0.5, 3.0)),
    _p("support_decay", 0.5, 0.0, 1.0, "1/quarter", "policy",
       "Quarterly decay of the support stock that drives diminishing returns.", sweep=(0.2, 0.8)),
    _p("promotion_demand_gain", 1.0, 0.0, 3.0, "sd of log demand", "policy",
       "Rise in the log foreign demand (in units of its spread across firms) of a firm at the median from "
       "one full dose of export promotion: the buyers it meets abroad (fewer for firms that already sell "
       "to many).", sweep=(0.1, 1.5)),
    _p("targeting_strength", 3.0, 0.0, 10.0, "-", "policy",
       "How sharply mapped information concentrates support on high-potential SMEs.", sweep=(0.0, 6.0)),
    _p("overlap_screening", 1.0, 0.0, 1.0, "0-1", "policy",
       "How far agencies use their coordination to skip SMEs other programmes already serve (0: they do not "
       "screen recipients for overlap; the allocation of budgets to regions is unchanged).", sweep=(0.0, 1.0)),
    _p("central_need_allocation", 0, 0, 1, "0/1", "policy",
       "1: the national government allocates the programmes it delivers itself by the rule a coordinated "
       "local government uses, the need its own mapping reveals (read with the error of an apparatus of "
       "average capacity) times each region's capacity to deliver, and funds delivery through the regional "
       "apparatus; 0: by SME numbers, through national offices of average capacity.", int),
    _p("requirement_deterrence", 0.25, 0.0, 1.0, "0-1", "policy",
       "Share of lead firms' supplier slots lost under full performance requirements: investment deterred "
       "or kept subscale.", sweep=(0.0, 0.5)),
    _p("framework_openness", 0.35, 0.0, 1.0, "0-1", "policy",
       "Rise in LE openness under a full alliance institutional framework.", sweep=(0.1, 0.6)),
    _p("requirement_openness", 0.35, 0.0, 1.0, "0-1", "policy",
       "Rise in LE openness under full performance requirements on FDI.", sweep=(0.1, 0.6)),
    # --- mechanism switches (ablations; docs/hypotheses.md) ------------------
    _switch("complementarity", "competitiveness and connectivity join as CES complements (off: capability "
            "is their plain mean, perfect substitutes)."),
    _switch("absorptive_capacity", "an SME still in precondition absorbs only part of a strengthening "
            "programme (off: every SME absorbs it fully)."),
    _switch("targeting", "mapping reveals SMEs' potential to programmes that select by it and to local "
            "need estimates (off: mapped SMEs look like any other)."),
    _switch("overlap", "an SME's response to support is concave in the support it already holds (off: "
            "each programme's gain ignores earlier ones)."),
    _switch("local_capacity", "delivery through a region's apparatus (local, or national under "
            "central_need_allocation) is as efficient as the region's capacity (off: every region delivers at "
            "the national average)."),
    _switch("need_allocation", "budgets that may follow need (local ones; national ones under "
            "central_need_allocation) follow estimated regional need as far as levels coordinate (off: they "
            "follow SME numbers)."),
    _switch("alliance_policy", "the alliance framework and performance requirements raise LE openness "
            "(off: they leave it unchanged)."),
    _switch("fdi_deterrence", "performance requirements deter investment: lead firms keep fewer supplier "
            "slots as requirements rise (off: requirements cost no slots)."),
    _switch("local_knowledge", "a local government reads its region's need with an error that falls with its "
            "own capacity (off: every government reads need with the error of average capacity, as the centre "
            "does)."),
    _switch("import_competition", "a tariff cut raises the competitiveness needed to hold the home market "
            "(off: it does not)."),
    _switch("home_market_shares", "each region's home demand is shared among its firms and imports, so an "
            "exit frees demand for its rivals and entrants build customers (off: home sales ignore rivals)."),
    _switch("imported_inputs", "a tariff cut lowers the costs of firms that import inputs, by their imported "
            "share (off: no firm's costs)."),
    _switch("access_upgrading", "firms invest in technology where a step pays over their sales at home and "
            "abroad (off: none does)."),
    _switch("knowledge_barrier", "the knowledge barrier adds to the sunk cost of export entry (off: it does "
            "not)."),
    _switch("entry_selection", "would-be entrants enter only when they judge they can hold the home market "
            "(off: every candidate enters)."),
    _switch("firm_growth", "firms grow and shrink (off: employment is fixed for life)."),
)

REGISTRY: dict[str, Parameter] = {p.name: p for p in _PARAMETERS}

# The reference input of a sweep: an input the model never reads (not a name any parameter can have).
# Its index is what an inert input scores through sampling and estimation error alone.
DUMMY = "(dummy)"
# Given-data methods score this many such inputs on the same runs; the reference is their 95th percentile.
DUMMY_COLUMNS = 20
# The rows of a Sobol' sweep for all parameters together: the sum of their first-order indices, and the
# share left to parameters acting together once the seed noise is set aside.
ALL = "(all parameters)"


def defaults() -> dict[str, float | int]:
    """All parameters at their defaults."""
    return {p.name: p.default for p in _PARAMETERS}


def by_group(*groups: str) -> list[Parameter]:
    """Parameters of the given registry groups, in registry order."""
    unknown = [g for g in groups if g not in GROUPS]
    if unknown:
        raise ParameterError(f"unknown parameter group {unknown[0]!r}; groups are {', '.join(GROUPS)}")
    return [p for p in _PARAMETERS if p.group in groups]


def suggest(name: str, choices: Iterable[str]) -> str:
    """A ' (did you mean ...?)' hint for a misspelt name, or ''."""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def unknown_message(name: str) -> str:
    """Why ``name`` is not a parameter: what replaced it, or the likely misspelling."""
    if name in RETIRED:
        return f"parameter {name!r} no longer exists: {RETIRED[name]}"
    return f"unknown parameter {name!r}{suggest(name, REGISTRY)}"


def resolve(overrides: Mapping[str, Any] | None = None) -> dict[str, float | int]:
    """Defaults updated with ``overrides``, each checked against the registry.

    Raises ParameterError naming the parameter and what is allowed.
    """
    values = defaults()
    for name, value in (overrides or {}).items():
        if name not in REGISTRY:
            raise ParameterError(unknown_message(name))
        values[name] = REGISTRY[name].coerce(value)
    return values


def plausible_range(name: str) -> tuple[float, float]:
    """The range a parameter plausibly takes: its provenance's judged range, else its sweep range."""
    lo, hi = _PROVENANCE[name].plausible or REGISTRY[name].sweep_bounds
    return float(lo), float(hi)


def markdown_table() -> str:
    """The registry as a Markdown table (used verbatim in docs/ODD.md)."""
    lines = ["| name | group | default | valid range | sweep range | unit | meaning | where the value comes from |",
             "|---|---|---|---|---|---|---|---|"]
    for p in _PARAMETERS:
        sweep = (f"[{p.sweep[0]}, {p.sweep[1]}]" if p.sweep is not None else "[0, 1] (a switch)"
                 if p.kind is int and p.bounds == (0, 1) else "not swept (the population's structure)"
                 if p.group == "population" and p.kind is int else "none: give bounds to sweep it")
        lines.append(f"| `{p.name}` | {p.group} | {p.default} | [{p.low}, {p.high}] | {sweep} | {p.unit} | "
                     f"{p.meaning} | {cited(_PROVENANCE[p.name], p.sweep)} |")
    return "\n".join(lines)

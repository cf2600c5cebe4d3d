"""The parameter registry: every model parameter, once.

Each :class:`Parameter` carries its name, default, bounds, unit, group and a
one-line meaning. The model validates its inputs here; scenario files, the
SALib problem, the UI sliders and the ODD parameter table all read this
registry, so nothing else in the project may restate a default or a bound.

This module imports nothing of the project.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GROUPS: tuple[str, ...] = (
    "competitiveness",
    "connectivity",
    "policy",
    "environment",
    "population",
)


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
            raise ParameterError(
                f"parameter {self.name!r} must be a number, got a boolean ({value!r})"
            )
        if self.kind is int:
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            if not isinstance(value, int):
                raise ParameterError(
                    f"parameter {self.name!r} must be a whole number, got {value!r}"
                )
        else:
            if not isinstance(value, (int, float)):
                raise ParameterError(
                    f"parameter {self.name!r} must be a number, got {type(value).__name__} {value!r}"
                )
            value = float(value)
            if value != value:  # NaN
                raise ParameterError(f"parameter {self.name!r} must be a number, got NaN")
        if not self.low <= value <= self.high:
            raise ParameterError(
                f"parameter {self.name!r} = {value!r} is outside its allowed range "
                f"[{self.low}, {self.high}] ({self.unit})"
            )
        return value


def _p(name, default, low, high, unit, group, meaning, kind=float, sweep=None) -> Parameter:
    return Parameter(name, default, low, high, unit, group, meaning, kind, sweep)


# Defaults: the seven parameters fitted to the stylized facts of
# calibration/targets.toml (comp_mean, size_tail, base_exit_rate, entry_cost,
# demand_uncertainty, decision_noise, le_export_value) are the best fit of the
# calibration run recorded in calibration/runs/2026-11-23-baseline/manifest.json
# (method of simulated moments, 3,000 runs; rounded); finance_firm_link is fixed
# at 0 so that the credit-rationing fact holds (docs/calibration.md). The others
# are set so that the directions of MODEL.md section 6 hold (tests/test_directions.py).
_PARAMETERS: tuple[Parameter, ...] = (
    # --- population -------------------------------------------------------
    _p("n_smes", 2000, 10, 2_000_000, "firms", "population",
       "Number of SMEs (kept roughly constant: exits are replaced by entrants).", int),
    _p("n_regions", 10, 1, 200, "regions", "population",
       "Number of regions (districts), each with one local government.", int),
    _p("n_sectors", 5, 1, 50, "sectors", "population",
       "Number of sectors; each LE buys from SMEs of its own sector.", int),
    _p("n_les", 30, 0, 5000, "firms", "population",
       "Number of large enterprises (lead firms / MNEs).", int),
    _p("size_tail", 2.14, 1.05, 4.0, "-", "population",
       "Pareto tail exponent of SME employment (1 is Zipf; larger means more micro firms).", sweep=(1.5, 2.5)),
    _p("eo_mean", 0.3, 0.02, 0.98, "0-1", "population",
       "Mean entrepreneurial orientation (the born-global trait).", sweep=(0.2, 0.4)),
    _p("born_global_eo", 0.85, 0.5, 1.0, "0-1", "population",
       "Entrepreneurial orientation above which a firm may leap to exporting from the precondition stage.", sweep=(0.75, 0.95)),
    _p("region_heterogeneity", 1.0, 0.0, 1.0, "0-1", "population",
       "How much regions differ in infrastructure and local capacity (0 = identical regions).", sweep=(0.0, 1.0)),
    _p("base_exit_rate", 0.017, 0.0, 0.2, "1/quarter", "population",
       "Quarterly exit hazard of a firm that faces no competitive shortfall.", sweep=(0.012, 0.035)),
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
       "Competitiveness an SME needs to hold its home market at current tariffs.", sweep=(0.12, 0.32)),
    _p("learning_by_exporting", 0.03, 0.0, 0.3, "1/quarter", "competitiveness",
       "Quarterly gain in quality and market knowledge while exporting.", sweep=(0.0, 0.08)),
    _p("tech_transfer", 0.05, 0.0, 0.5, "1/quarter", "competitiveness",
       "Quarterly technology and skill transfer from an LE to its allied SME.", sweep=(0.0, 0.12)),
    _p("le_threshold", 0.42, 0.05, 0.95, "0-1", "competitiveness",
       "Mean competitiveness an LE requires of a supplier.", sweep=(0.3, 0.55)),
    # --- connectivity -----------------------------------------------------
    _p("conn_mean", 0.3, 0.0, 0.95, "0-1", "connectivity",
       "Mean initial level of the firm-level connectivity components.", sweep=(0.15, 0.45)),
    _p("conn_depreciation", 0.04, 0.0, 0.5, "1/quarter", "connectivity",
       "Rate at which connectivity falls back to the firm's lasting level.", sweep=(0.01, 0.1)),
    _p("infrastructure_mean", 0.4, 0.0, 1.0, "0-1", "connectivity",
       "Mean regional infrastructure level.", sweep=(0.2, 0.6)),
    _p("awareness_threshold", 0.5, 0.05, 0.95, "0-1", "connectivity",
       "Knowledge barrier below which an SME leaves the precondition stage.", sweep=(0.35, 0.65)),
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
    _p("ces_rho", -2.0, -10.0, 0.9, "-", "environment",
       "CES exponent joining competitiveness and connectivity (negative: complements).", sweep=(-4.0, 0.5)),
    _p("capability_elasticity", 2.0, 0.5, 5.0, "-", "environment",
       "Elasticity of expected foreign profit with respect to export capability.", sweep=(1.0, 3.0)),
    _p("size_elasticity", 0.5, 0.0, 1.5, "-", "environment",
       "Elasticity of expected foreign profit with respect to firm size.", sweep=(0.2, 0.8)),
    _p("export_margin", 1.0, 0.05, 10.0, "kUSD/quarter", "environment",
       "Foreign operating profit of a one-worker firm at full capability.", sweep=(0.5, 2.0)),
    _p("entry_cost", 0.74, 0.0, 10.0, "kUSD/quarter", "environment",
       "Sunk export entry cost, amortized per quarter, at the highest barriers.", sweep=(0.3, 0.9)),
    _p("continuation_cost", 0.1, 0.0, 10.0, "kUSD/quarter", "environment",
       "Quarterly fixed cost of staying in export markets.", sweep=(0.05, 0.2)),
    _p("experience_discount", 0.6, 0.0, 1.0, "0-1", "environment",
       "Share of the entry cost saved by a firm with full recent export experience.", sweep=(0.3, 0.9)),
    _p("demand_uncertainty", 1.78, 0.0, 3.0, "-", "environment",
       "Dispersion (log sd) of foreign demand a new exporter discovers after entry.", sweep=(1.0, 2.5)),
    _p("decision_noise", 0.6, 0.0, 2.0, "-", "environment",
       "Log-sd of a firm's quarterly error in judging its foreign profit (entry and exit).", sweep=(0.2, 1.0)),
    _p("import_pressure", 0.08, 0.0, 1.0, "0-1", "environment",
       "Rise in the competitiveness needed to survive per unit of tariff cut.", sweep=(0.0, 0.2)),
    _p("liberalization_export_gain", 0.3, 0.0, 2.0, "-", "environment",
       "Rise in foreign margins per unit of tariff cut (partner tariffs fall too).", sweep=(0.1, 0.6)),
    _p("competition_exit", 0.4, 0.0, 5.0, "1/quarter", "environment",
       "Extra quarterly exit hazard per unit of competitiveness shortfall.", sweep=(0.2, 0.8)),
    _p("gvc_shock_step", -1, -1, 10_000, "quarter", "environment",
       "Quarter of a GVC consolidation / reshoring shock (-1: none).", int),
    _p("gvc_shock_size", 0.0, 0.0, 1.0, "0-1", "environment",
       "Fall in LE openness to new suppliers caused by the shock."),
    _p("le_export_value", 100.0, 0.0, 100_000.0, "kUSD/quarter", "environment",
       "Quarterly direct exports of one large enterprise (for the SME share of exports)."),
    # --- policy -----------------------------------------------------------
    _p("coordination", 0.3, 0.0, 1.0, "0-1", "policy",
       "Coordination among agencies and between national and local government.", sweep=(0.0, 1.0)),
    _p("coordination_loss", 0.4, 0.0, 1.0, "0-1", "policy",
       "Share of a locally delivered budget lost when coordination is absent.", sweep=(0.1, 0.7)),
    _p("support_saturation", 1.0, 0.05, 10.0, "programmes", "policy",
       "Dose scale of an SME's concave response to support (overlap saturates it).", sweep=(0.5, 3.0)),
    _p("support_decay", 0.5, 0.0, 1.0, "1/quarter", "policy",
       "Quarterly decay of the support stock that drives diminishing returns.", sweep=(0.2, 0.8)),
    _p("targeting_strength", 3.0, 0.0, 10.0, "-", "policy",
       "How sharply mapped information concentrates support on high-potential SMEs.", sweep=(0.0, 6.0)),
    _p("framework_openness", 0.35, 0.0, 1.0, "0-1", "policy",
       "Rise in LE openness under a full alliance institutional framework.", sweep=(0.1, 0.6)),
    _p("requirement_openness", 0.35, 0.0, 1.0, "0-1", "policy",
       "Rise in LE openness under full performance requirements on FDI.", sweep=(0.1, 0.6)),
)

REGISTRY: dict[str, Parameter] = {p.name: p for p in _PARAMETERS}


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


def resolve(overrides: Mapping[str, Any] | None = None) -> dict[str, float | int]:
    """Defaults updated with ``overrides``, each checked against the registry.

    Raises ParameterError naming the parameter and what is allowed.
    """
    values = defaults()
    for name, value in (overrides or {}).items():
        if name not in REGISTRY:
            raise ParameterError(f"unknown parameter {name!r}{suggest(name, REGISTRY)}")
        values[name] = REGISTRY[name].coerce(value)
    return values


def select(spec: str | Iterable[str]) -> list[Parameter]:
    """Parameters named by registry groups and/or parameter names ("competitiveness,ces_rho")."""
    items = [x.strip() for x in spec.split(",")] if isinstance(spec, str) else list(spec)
    chosen: list[Parameter] = []
    for item in items:
        if item in GROUPS:
            found = by_group(item)
        elif item in REGISTRY:
            found = [REGISTRY[item]]
        else:
            raise ParameterError(
                f"{item!r} is neither a parameter group ({', '.join(GROUPS)}) nor a parameter"
                f"{suggest(item, [*GROUPS, *REGISTRY])}")
        chosen.extend(p for p in found if p not in chosen)
    return chosen


def problem(spec: str | Iterable[str], bounds: Mapping[str, tuple[float, float]] | None = None,
            grouped: bool = False) -> dict[str, Any]:
    """A SALib problem (``num_vars``, ``names``, ``bounds``) built from the registry.

    Bounds are each parameter's sweep range unless ``bounds`` narrows them
    (they must stay inside the parameter's valid range). With ``grouped`` the
    problem also carries ``groups`` (the registry groups), and SALib then
    reports one index per group.
    """
    params = select(spec)
    bounds = dict(bounds or {})
    unknown = [n for n in bounds if n not in {p.name for p in params}]
    if unknown:
        raise ParameterError(f"bounds given for {unknown[0]!r}, which is not among the parameters swept")
    rows = []
    for p in params:
        lo, hi = bounds.get(p.name, p.sweep_bounds)
        if not (p.low <= lo < hi <= p.high):
            raise ParameterError(f"bounds of {p.name!r} must satisfy {p.low} <= low < high <= {p.high}, "
                                 f"got [{lo}, {hi}]")
        rows.append([float(lo), float(hi)])
    out: dict[str, Any] = {"num_vars": len(params), "names": [p.name for p in params], "bounds": rows}
    if grouped:
        out["groups"] = [p.group for p in params]
    return out


def markdown_table() -> str:
    """The registry as a Markdown table (used verbatim in docs/ODD.md)."""
    lines = [
        "| name | group | default | valid range | sweep range | unit | meaning |",
        "|---|---|---|---|---|---|---|",
    ]
    for p in _PARAMETERS:
        sweep = f"[{p.sweep[0]}, {p.sweep[1]}]" if p.sweep is not None else "(valid range)"
        lines.append(
            f"| `{p.name}` | {p.group} | {p.default} | [{p.low}, {p.high}] | {sweep} | {p.unit} | {p.meaning} |"
        )
    return "\n".join(lines)

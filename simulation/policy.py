"""Policy instruments and packages, as data.

The :data:`CATALOGUE` holds every instrument the model knows: its policy level
(meta, macro, meso, micro), the internationalization stage it serves
(precondition, strengthening), the determinant it works on (competitiveness,
connectivity), how it acts (per firm, as a regional public good, or as a
regulation), which government delivers it by default, its unit cost and the
state variables it moves.

A :class:`PolicyPackage` is a list of :class:`PackageEntry` records: which
instrument, with what total budget (kUSD) or intensity, over which quarters,
targeted how, delivered by whom. Packages are plain data: ``from_dict`` reads
the same structure the scenario files hold.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from .params import suggest
from .provenance import CATALOGUE as SOURCES
from .provenance import cited

LEVELS: tuple[str, ...] = ("meta", "macro", "meso", "micro")
POLICY_STAGES: tuple[str, ...] = ("precondition", "strengthening")
DETERMINANTS: tuple[str, ...] = ("competitiveness", "connectivity")
DELIVERERS: tuple[str, ...] = ("national", "local")
MODES: tuple[str, ...] = ("per_firm", "public_good", "regulatory")
SELECTIONS: tuple[str, ...] = ("potential", "random")
# Bounds of a package entry, here for PackageEntry and for the scenario schema (simulation/schema/files.py) alike.
MAX_BUDGET = 1e9      # kUSD: a trillion dollars, far above any programme
MAX_INTENSITY = 5.0   # doses per treated SME
MAX_QUARTER = 10_000  # start and end of an entry, and a scenario's horizon
# What a regulation's cost scales with: the SMEs or the large enterprises it covers.
COVERS: tuple[str, ...] = ("smes", "les")
# The rules a regulation changes while it is enforced (docs/ODD.md 7.7). A
# regulation moves no firm's capabilities: it changes the environment every
# firm, entrants included, faces.
REGIME_CHANNELS: dict[str, str] = {
    "tariff_cut": "tariffs fall: foreign margins rise, exogenous barriers fall, imported inputs cost less, "
                  "imports take share of the home market (a cut is not reversed)",
    "alliance_framework": "LE openness to SME suppliers rises by framework_openness at full strength",
    "performance_requirements": "LE openness rises by requirement_openness and technology transfer deepens",
    "red_tape": "every SME's procedure barrier to export entry is cut by this share while in force",
}


class PolicyError(ValueError):
    """A package names an unknown instrument or gives an entry an impossible value."""


@dataclass(frozen=True)
class Instrument:
    """One instrument of the catalogue.

    ``unit_cost`` is in kUSD: per SME treated at dose 1 (``per_firm``), per SME
    of the region covered (``public_good``), or per SME or LE covered
    (``covers``) per quarter of full enforcement (``regulatory``), so a
    regulation costs more in a larger economy. ``effects`` maps a state
    variable to the strength of one full dose: components rise by
    ``strength * (1 - x)``, barriers fall by ``strength * b``; a regulation's
    effects are regime channels (:data:`REGIME_CHANNELS`) set to ``strength``
    at full enforcement.
    """

    name: str
    level: str
    stage: str
    determinant: str
    mode: str
    delivered_by: str
    unit_cost: float
    effects: Mapping[str, float]
    eligibility: str
    meaning: str
    covers: str = "smes"

    def __hash__(self) -> int:  # entries key a batch's slots, and a package may change an instrument's numbers
        return hash((self.name, self.unit_cost, tuple(sorted(self.effects.items()))))

    def enforcement_cost(self, n_smes: int, n_les: int) -> float:
        """kUSD a quarter of full enforcement costs, in an economy of ``n_smes`` SMEs and ``n_les`` LEs."""
        return self.unit_cost * (n_smes if self.covers == "smes" else n_les)


def _i(name, level, stage, determinant, mode, delivered_by, unit_cost, effects, meaning,
       eligibility="any", covers="smes") -> Instrument:
    return Instrument(name, level, stage, determinant, mode, delivered_by, unit_cost,
                      dict(effects), eligibility, meaning, covers)


CATALOGUE: dict[str, Instrument] = {i.name: i for i in (
    # --- precondition stage ----------------------------------------------
    _i("mapping_study", "macro", "precondition", "connectivity", "per_firm", "national", 0.05,
       {}, "Maps SMEs' potential and constraints so later support can be targeted.",
       eligibility="unmapped"),
    _i("awareness_information", "meso", "precondition", "connectivity", "per_firm", "local", 0.3,
       {"knowledge": 0.55, "market_knowledge": 0.25},
       "Awareness campaigns and GVC / market information services."),
    _i("alliance_framework", "macro", "precondition", "connectivity", "regulatory", "national", 2.5 / 30,
       {"alliance_framework": 1.0},
       "Institutional framework for strategic alliances between SMEs and large enterprises.", covers="les"),
    _i("strategic_measures", "macro", "precondition", "competitiveness", "regulatory", "national", 0.0025,
       {"red_tape": 0.4},
       "Strategic policy measures: regulation, deregulation, business climate."),
    _i("trade_liberalization", "meta", "precondition", "competitiveness", "regulatory", "national", 0.001,
       {"tariff_cut": 1.0},
       "Tariff cut under economic integration (AEC, ACFTA): export margins and import competition rise."),
    # --- strengthening stage ---------------------------------------------
    _i("capacity_training", "micro", "strengthening", "competitiveness", "per_firm", "local", 1.0,
       {"management": 0.3, "skills": 0.35, "knowledge": 0.1},
       "Capacity building and training in skill centres."),
    _i("business_incubation", "meso", "strengthening", "competitiveness", "per_firm", "local", 2.5,
       {"management": 0.3, "technology": 0.2, "finance": 0.15, "network_ties": 0.1},
       "Business incubation."),
    _i("access_to_finance", "meso", "strengthening", "competitiveness", "per_firm", "national", 1.5,
       {"finance": 0.45, "resource": 0.4},
       "Credit programme without guarantee: only SMEs with collateral can take it.",
       eligibility="collateral"),
    _i("access_to_finance_guaranteed", "meso", "strengthening", "competitiveness", "per_firm",
       "national", 2.0, {"finance": 0.45, "resource": 0.4},
       "Credit programme with a guarantee linkage: reaches collateral-constrained SMEs."),
    _i("technology_upgrading", "meso", "strengthening", "competitiveness", "per_firm", "local", 2.0,
       {"technology": 0.35, "quality": 0.3},
       "Technology upgrading and quality certification."),
    _i("physical_infrastructure", "meso", "strengthening", "connectivity", "public_good", "national",
       3.0, {"infrastructure": 0.35},
       "Roads, ports, logistics and ICT: raises the region's infrastructure level."),
    _i("networks_clusters", "micro", "strengthening", "connectivity", "per_firm", "local", 0.8,
       {"network_ties": 0.4, "market_knowledge": 0.1},
       "Networks and clusters (One Village One Product and the like)."),
    _i("export_promotion", "meso", "strengthening", "connectivity", "per_firm", "national", 1.2,
       {"foreign_demand": 1.0, "market_knowledge": 0.3, "procedure": 0.3, "knowledge": 0.1},
       "Export promotion: trade fairs, buyer missions and matchmaking (foreign demand found and learned, "
       "in units of promotion_demand_gain), export procedures help."),
    _i("performance_requirements", "macro", "strengthening", "connectivity", "regulatory",
       "national", 2.5 / 30, {"performance_requirements": 1.0},
       "Performance requirements on FDI: local content, joint ventures with SMEs, technology transfer.",
       covers="les"),
    _i("economic_stimulus", "macro", "strengthening", "competitiveness", "per_firm", "national", 0.5,
       {"finance": 0.12},
       "Broad allocative stimulus: a thin subsidy to whoever applies."),
)}


@dataclass(frozen=True)
class Targeting:
    """Who an entry may reach, and how recipients are chosen among them."""

    select: str = "potential"
    regions: tuple[int, ...] | None = None
    sectors: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        if self.select not in SELECTIONS:
            raise PolicyError(
                f"targeting.select must be one of {', '.join(SELECTIONS)}, got {self.select!r}"
            )
        for key in ("regions", "sectors"):
            values = getattr(self, key)
            if values is not None:
                if any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in values):
                    raise PolicyError(f"targeting.{key} must be a list of non-negative whole numbers")
                object.__setattr__(self, key, tuple(values))


@dataclass(frozen=True)
class PackageEntry:
    """One instrument in a package: budget (kUSD, total over [start, end)), dose, timing, targeting."""

    instrument: str
    budget: float = 0.0
    intensity: float = 1.0
    start: int = 0
    end: int | None = None
    targeting: Targeting = field(default_factory=Targeting)
    delivered_by: str | None = None
    name: str = ""  # the entry's own name (its [package.NAME] in a file); keys its random stream
    # The catalogue's instrument with this run's values (PolicyPackage.catalogue), set by the package.
    spec_override: Instrument | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str):
            raise PolicyError(f"{self.instrument}.name must be text, got {self.name!r}")
        if self.instrument not in CATALOGUE:
            raise PolicyError(
                f"unknown instrument {self.instrument!r}{suggest(self.instrument, CATALOGUE)}"
            )
        for key in ("budget", "intensity"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
                raise PolicyError(f"{self.instrument}.{key} must be a number, got {value!r}")
            if value < 0:
                raise PolicyError(f"{self.instrument}.{key} must be >= 0, got {value}")
        if self.intensity > MAX_INTENSITY:
            raise PolicyError(f"{self.instrument}.intensity must be in [0, {MAX_INTENSITY:g}], got {self.intensity}")
        for key in ("start", "end"):
            value = getattr(self, key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise PolicyError(f"{self.instrument}.{key} must be a non-negative whole number, got {value!r}")
        if self.end is not None and self.end <= self.start:
            raise PolicyError(
                f"{self.instrument}: start ({self.start}) must come before end ({self.end})"
            )
        if self.delivered_by is not None and self.delivered_by not in DELIVERERS:
            raise PolicyError(
                f"{self.instrument}.delivered_by must be one of {', '.join(DELIVERERS)}, "
                f"got {self.delivered_by!r}"
            )

    @property
    def spec(self) -> Instrument:
        return self.spec_override or CATALOGUE[self.instrument]

    @property
    def deliverer(self) -> str:
        return self.delivered_by or self.spec.delivered_by

    def window(self, horizon: int) -> tuple[int, int]:
        """Active quarters [start, end), clipped to the horizon."""
        end = horizon if self.end is None else min(self.end, horizon)
        return self.start, max(self.start, end)


# What a package may change of the catalogue's numbers for its own runs: an instrument's unit cost (kUSD, in
# the catalogue's unit) and a factor on every strength of its effects (a plausible-worlds study varies both).
CATALOGUE_KEYS: tuple[str, ...] = ("unit_cost", "effects")
MAX_EFFECTS_FACTOR = 3.0


def _catalogue_items(values: Mapping[str, Mapping[str, float]] | Sequence[tuple[str, str, float]]
                     ) -> tuple[tuple[str, str, float], ...]:
    """Catalogue changes as sorted (instrument, key, value) triples, each checked (PolicyError on the first bad one)."""
    items = ([(i, k, v) for i, d in values.items() for k, v in dict(d).items()] if isinstance(values, Mapping)
             else list(values))
    out = []
    for instrument, key, value in items:
        where = f"catalogue.{instrument}.{key}"
        if instrument not in CATALOGUE:
            raise PolicyError(f"unknown instrument {instrument!r} in the catalogue changes"
                              f"{suggest(str(instrument), CATALOGUE)}")
        if key not in CATALOGUE_KEYS:
            raise PolicyError(f"{where}: a package may change {' or '.join(CATALOGUE_KEYS)}"
                              f"{suggest(str(key), CATALOGUE_KEYS)}")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < MAX_BUDGET:
            raise PolicyError(f"{where} must be a positive number, got {value!r}")
        if key == "effects" and value > MAX_EFFECTS_FACTOR:
            raise PolicyError(f"{where} is a factor on every strength, at most {MAX_EFFECTS_FACTOR:g}; got {value}")
        if float(value) != (CATALOGUE[instrument].unit_cost if key == "unit_cost" else 1.0):  # else no change
            out.append((str(instrument), str(key), float(value)))
    if len({(i, k) for i, k, _ in out}) < len(out):
        raise PolicyError("the catalogue changes name one instrument's number twice")
    return tuple(sorted(out))


def _changed(spec: Instrument, changes: Mapping[str, float]) -> Instrument:
    factor = changes.get("effects", 1.0)
    return replace(spec, unit_cost=changes.get("unit_cost", spec.unit_cost),
                   effects={k: v * factor for k, v in spec.effects.items()})


@dataclass(frozen=True)
class PolicyPackage:
    """A named list of instrument entries, and any changes to the catalogue's numbers for its runs.

    ``catalogue`` holds (instrument, key, value) triples: ``unit_cost`` replaces
    the instrument's unit cost, ``effects`` multiplies every strength of its
    effects. Every entry of that instrument then acts with the changed numbers.
    """

    name: str = "package"
    entries: tuple[PackageEntry, ...] = ()
    description: str = ""
    catalogue: tuple[tuple[str, str, float], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "catalogue", _catalogue_items(self.catalogue))
        changes = self.catalogue_changes
        object.__setattr__(self, "entries", tuple(
            replace(e, spec_override=_changed(CATALOGUE[e.instrument], changes[e.instrument]))
            if e.instrument in changes else replace(e, spec_override=None) for e in self.entries))
        keys = self.entry_keys
        if len(set(keys)) < len(keys):
            twice = sorted({k for k in keys if keys.count(k) > 1})[0]
            raise PolicyError(f"two entries of package {self.name!r} are both named {twice!r}: entry names "
                              "must differ (each names its entry's random stream)")

    @property
    def entry_keys(self) -> tuple[str, ...]:
        """A name per entry: its own ``name``, else its instrument (numbered when repeated).

        Each entry's random stream is keyed by this name, not by its place in
        the package, so adding or removing one entry leaves the draws of every
        other entry unchanged (common random numbers across packages).
        """
        names = [e.instrument for e in self.entries]
        return tuple(e.name or (n if names.count(n) == 1 else f"{n}#{names[:k + 1].count(n)}")
                     for k, (e, n) in enumerate(zip(self.entries, names)))

    @property
    def total_budget(self) -> float:
        return float(sum(e.budget for e in self.entries))

    @property
    def catalogue_changes(self) -> dict[str, dict[str, float]]:
        """The catalogue changes as instrument -> {"unit_cost": kUSD, "effects": factor} (as a file writes them)."""
        changes: dict[str, dict[str, float]] = {}
        for instrument, key, value in self.catalogue:
            changes.setdefault(instrument, {})[key] = value
        return changes

    def with_catalogue(self, changes: Mapping[str, Mapping[str, float]]) -> PolicyPackage:
        """The same package with these catalogue changes (instrument -> {"unit_cost": kUSD, "effects": factor})
        added to its own (a change named again replaces the earlier one)."""
        merged = {(i, k): v for i, k, v in self.catalogue}
        merged.update({(i, k): v for i, d in changes.items() for k, v in d.items()})
        return replace(self, catalogue=tuple((i, k, v) for (i, k), v in merged.items()))

    def scaled(self, factor: float) -> PolicyPackage:
        """The same package with every budget multiplied by ``factor`` (e.g. for a larger economy)."""
        return replace(self, entries=tuple(replace(e, budget=e.budget * factor) for e in self.entries))

    def budget_by(self, attribute: str) -> dict[str, float]:
        """Total budget by an instrument attribute: 'level', 'stage' or 'determinant'."""
        out: dict[str, float] = {}
        for e in self.entries:
            key = getattr(e.spec, attribute)
            out[key] = out.get(key, 0.0) + e.budget
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PolicyPackage:
        """Build a package from plain data (the structure scenario files hold)."""
        entries = []
        for raw in data.get("entries", data.get("instruments", ())):
            raw = dict(raw)
            targeting = raw.pop("targeting", None) or {}
            if not isinstance(targeting, Mapping):
                raise PolicyError("targeting must be a table")
            unknown = set(raw) - ENTRY_FIELDS - {"name"}
            if unknown:
                key = sorted(unknown)[0]
                raise PolicyError(f"unknown entry key {key!r}{suggest(key, ENTRY_FIELDS)}")
            unknown = set(targeting) - _TARGETING_FIELDS
            if unknown:
                key = sorted(unknown)[0]
                raise PolicyError(f"unknown targeting key {key!r}{suggest(key, _TARGETING_FIELDS)}")
            t = dict(targeting)
            for key in ("regions", "sectors"):
                if t.get(key) is not None:
                    if not isinstance(t[key], Sequence) or isinstance(t[key], str):
                        raise PolicyError(f"targeting.{key} must be a list of whole numbers")
                    t[key] = tuple(t[key])
            entries.append(PackageEntry(targeting=Targeting(**t), **raw))
        catalogue = data.get("catalogue", {})
        if not isinstance(catalogue, Mapping) or not all(isinstance(d, Mapping) for d in catalogue.values()):
            raise PolicyError("catalogue must be a table of instruments, each a table of unit_cost and effects")
        return cls(name=data.get("name", "package"), entries=tuple(entries),
                   description=data.get("description", ""), catalogue=catalogue)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "description": self.description,
                               "entries": [{k: v for k, v in asdict(e).items() if k != "spec_override"}
                                           for e in self.entries]}
        if self.catalogue:  # only when changed, so a package's plain data (and its runs' ids) stay as they were
            out["catalogue"] = self.catalogue_changes
        return out


# The keys of an entry table and of its targeting: the dataclasses' own fields (a file names an entry by its
# table, ``[package.NAME]``; plain data may also carry ``name``).
ENTRY_FIELDS = frozenset(f.name for f in fields(PackageEntry)) - {"targeting", "name", "spec_override"}
_TARGETING_FIELDS = frozenset(f.name for f in fields(Targeting))

NO_POLICY = PolicyPackage(name="no_policy")


def markdown_table() -> str:
    """The instrument catalogue as a Markdown table (used verbatim in docs/ODD.md)."""
    lines = [
        "| instrument | level | stage | determinant | mode | delivered by | unit cost (kUSD) | effects at one dose "
        "(regulations: regime channel at full enforcement) | who may take it | where the unit cost comes from | "
        "where the effects come from |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    per = {"per_firm": "per SME at dose 1", "public_good": "per SME of the region",
           "regulatory": "per {} covered per quarter"}
    for i in CATALOGUE.values():
        effects = ", ".join(f"{k} {v:g}" for k, v in i.effects.items()) or "marks SMEs as mapped"
        unit = per[i.mode].format("SME" if i.covers == "smes" else "LE")
        source = SOURCES[i.name]
        lines.append(f"| `{i.name}` | {i.level} | {i.stage} | {i.determinant} | {i.mode} | "
                     f"{i.delivered_by} | {i.unit_cost:g} {unit} | {effects} | {i.eligibility} | "
                     f"{cited(source['unit_cost'])} | {cited(source['effects'])} |")
    return "\n".join(lines)

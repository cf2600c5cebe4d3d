"""Scenario files: TOML in, model inputs out.

A scenario file holds metadata, parameter overrides (registry names) and a
policy package. It may say ``extends = "parent"`` and give only what differs;
inheritance chains, and a cycle is an error. Package entries are tables keyed
by a label, so a child can change one field of one entry, add entries, or
drop one with ``enabled = false``::

    title = "Integrated package"
    extends = "baseline"

    [params]
    coordination = 0.9

    [package.training]
    instrument = "capacity_training"
    budget = 350.0
    start = 4

Every problem is reported once, as a :class:`ScenarioError` naming the file,
the dotted key and what is allowed. Loading never executes code.
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .params import REGISTRY, ParameterError, resolve, suggest, unknown_message
from .policy import (
    CATALOGUE,
    DELIVERERS,
    SELECTIONS,
    PackageEntry,
    PolicyError,
    PolicyPackage,
    Targeting,
)

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"

TOP_KEYS = {"title", "description", "hypothesis", "extends", "params", "package", "steps"}
ENTRY_KEYS = {"instrument", "budget", "intensity", "start", "end", "targeting", "delivered_by", "enabled"}
TARGETING_KEYS = {"select", "regions", "sectors"}


class ScenarioError(ValueError):
    """A scenario file cannot be used: says which file, which key, and what is allowed."""

    def __init__(self, file: str | Path, key: str, message: str) -> None:
        self.file, self.key, self.message = str(file), key, message
        where = f"{self.file}: {key}: " if key else f"{self.file}: "
        super().__init__(where + message)


@dataclass(frozen=True)
class Scenario:
    """A resolved scenario: inheritance applied, everything validated."""

    name: str
    path: Path
    title: str
    description: str
    hypothesis: str
    params: dict[str, Any]           # overrides only (registry names)
    package: PolicyPackage
    steps: int = 40
    chain: tuple[str, ...] = field(default=())  # this scenario, then its ancestors

    @property
    def resolved_params(self) -> dict[str, Any]:
        """All parameters: registry defaults updated with this scenario's overrides."""
        return resolve(self.params)

    def to_dict(self) -> dict[str, Any]:
        """Plain data that fully determines a run with this scenario (for ids and manifests)."""
        return {"name": self.name, "title": self.title, "hypothesis": self.hypothesis,
                "steps": self.steps, "params": dict(sorted(self.params.items())),
                "package": self.package.to_dict()}


def scenario_names(directory: Path = SCENARIO_DIR) -> list[str]:
    """Names of the scenarios shipped in ``directory``."""
    return sorted(p.stem for p in directory.glob("*.toml"))


def find(ref: str | Path, directory: Path = SCENARIO_DIR) -> Path:
    """A scenario reference is a name in ``directory`` or a path to a file."""
    path = Path(ref)
    if path.suffix == ".toml" or path.parent != Path("."):
        if not path.is_file():
            raise ScenarioError(path, "", "no such scenario file")
        return path.resolve()
    candidate = directory / f"{ref}.toml"
    if not candidate.is_file():
        names = scenario_names(directory)
        raise ScenarioError(candidate, "", f"no scenario named {str(ref)!r}{suggest(str(ref), names)}; "
                                           f"known scenarios: {', '.join(names)}")
    return candidate


def read_toml(path: str | Path, error: type[ScenarioError] | None = None) -> dict[str, Any]:
    """A TOML file as data, or one ``error`` (file, key, message): missing, not text, or bad syntax."""
    error = error or ScenarioError
    path = Path(path)
    if not path.is_file():
        raise error(path, "", "no such file")
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as err:
        raise error(path, "", f"TOML syntax error: {err}") from None
    except UnicodeDecodeError:
        raise error(path, "", "not a text (UTF-8) file") from None


_read = read_toml


def _check_keys(path: Path, prefix: str, data: Mapping, allowed: set[str]) -> None:
    for key in data:
        if key not in allowed:
            dotted = f"{prefix}{key}"
            raise ScenarioError(path, dotted, f"unknown key{suggest(key, allowed)}; allowed: "
                                              f"{', '.join(sorted(allowed))}")


def _expect(path: Path, key: str, value: Any, kinds: tuple[type, ...], what: str) -> None:
    if isinstance(value, bool) and bool not in kinds:
        raise ScenarioError(path, key, f"must be {what}, got {value!r}")
    if not isinstance(value, kinds):
        raise ScenarioError(path, key, f"must be {what}, got {type(value).__name__} {value!r}")


def _validate_raw(path: Path, data: dict[str, Any]) -> None:
    """Check one file's own content (before inheritance)."""
    _check_keys(path, "", data, TOP_KEYS)
    for key in ("title", "description", "hypothesis", "extends"):
        if key in data:
            _expect(path, key, data[key], (str,), "a string")
    if "steps" in data:
        _expect(path, "steps", data["steps"], (int,), "a whole number of quarters")
        if not 1 <= data["steps"] <= 10_000:
            raise ScenarioError(path, "steps", f"must be in [1, 10000], got {data['steps']}")
    params = data.get("params", {})
    _expect(path, "params", params, (dict,), "a table of parameter = value")
    for name, value in params.items():
        key = f"params.{name}"
        if name not in REGISTRY:
            raise ScenarioError(path, key, unknown_message(name))
        try:
            REGISTRY[name].coerce(value)
        except ParameterError as err:
            raise ScenarioError(path, key, str(err)) from None
    package = data.get("package", {})
    _expect(path, "package", package, (dict,), "a table of labelled entries ([package.<label>])")
    for label, entry in package.items():
        prefix = f"package.{label}"
        _expect(path, prefix, entry, (dict,), "a table (one instrument entry)")
        _check_keys(path, prefix + ".", entry, ENTRY_KEYS)
        if "instrument" in entry:
            _expect(path, prefix + ".instrument", entry["instrument"], (str,), "an instrument name")
            if entry["instrument"] not in CATALOGUE:
                name = entry["instrument"]
                raise ScenarioError(path, prefix + ".instrument",
                                    f"unknown instrument {name!r}{suggest(name, CATALOGUE)}")
        for key in ("budget", "intensity"):
            if key in entry:
                _expect(path, f"{prefix}.{key}", entry[key], (int, float), "a number")
                if entry[key] < 0:
                    raise ScenarioError(path, f"{prefix}.{key}", f"must be >= 0, got {entry[key]}")
        for key in ("start", "end"):
            if key in entry:
                _expect(path, f"{prefix}.{key}", entry[key], (int,), "a whole number (quarter)")
                if entry[key] < 0:
                    raise ScenarioError(path, f"{prefix}.{key}", f"must be >= 0, got {entry[key]}")
        if "enabled" in entry:
            _expect(path, prefix + ".enabled", entry["enabled"], (bool,), "true or false")
        if "delivered_by" in entry:
            _expect(path, prefix + ".delivered_by", entry["delivered_by"], (str,), "a string")
            if entry["delivered_by"] not in DELIVERERS:
                raise ScenarioError(path, prefix + ".delivered_by",
                                    f"must be one of {', '.join(DELIVERERS)}, got {entry['delivered_by']!r}")
        if "targeting" in entry:
            t = entry["targeting"]
            _expect(path, prefix + ".targeting", t, (dict,), "a table (select, regions, sectors)")
            _check_keys(path, prefix + ".targeting.", t, TARGETING_KEYS)
            if "select" in t and t["select"] not in SELECTIONS:
                raise ScenarioError(path, prefix + ".targeting.select",
                                    f"must be one of {', '.join(SELECTIONS)}, got {t['select']!r}")
            for key in ("regions", "sectors"):
                if key in t:
                    values = t[key]
                    if not isinstance(values, list) or any(
                            isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in values):
                        raise ScenarioError(path, f"{prefix}.targeting.{key}",
                                            f"must be a list of non-negative whole numbers, got {values!r}")


def _merge(parent: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """Child over parent: tables merge key by key, everything else is replaced."""
    out = copy.deepcopy(parent)
    for key, value in child.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _load_chain(path: Path, directory: Path, seen: tuple[Path, ...]) -> tuple[dict[str, Any], tuple[str, ...]]:
    if path in seen:
        cycle = " -> ".join(p.stem for p in (*seen, path))
        raise ScenarioError(seen[0], "extends", f"inheritance cycle: {cycle}")
    data = _read(path)
    _validate_raw(path, data)
    parent_ref = data.get("extends")
    if parent_ref is None:
        return data, (path.stem,)
    parent_dir = path.parent
    try:
        parent_path = find(parent_ref, parent_dir if (parent_dir / f"{parent_ref}.toml").exists() else directory)
    except ScenarioError as err:
        raise ScenarioError(path, "extends", f"missing parent scenario: {err.message}") from None
    parent, chain = _load_chain(parent_path, directory, (*seen, path))
    merged = _merge({k: v for k, v in parent.items() if k not in ("extends", "title", "description",
                                                                    "hypothesis")}, data)
    merged.setdefault("title", parent.get("title", ""))
    return merged, (path.stem, *chain)


def load(ref: str | Path, directory: Path = SCENARIO_DIR) -> Scenario:
    """Read, inherit and validate a scenario (a name in ``directory`` or a path)."""
    path = find(ref, directory)
    data, chain = _load_chain(path, directory, ())
    entries, labels = [], []
    for label, raw in data.get("package", {}).items():
        raw = dict(raw)
        if not raw.pop("enabled", True):
            continue
        key = f"package.{label}"
        raw.setdefault("instrument", label)
        if raw["instrument"] not in CATALOGUE:
            raise ScenarioError(path, key + ".instrument",
                                f"no instrument given and {label!r} is not an instrument name"
                                f"{suggest(label, CATALOGUE)}")
        targeting = raw.pop("targeting", {})
        try:
            t = Targeting(select=targeting.get("select", "potential"),
                          regions=tuple(targeting["regions"]) if "regions" in targeting else None,
                          sectors=tuple(targeting["sectors"]) if "sectors" in targeting else None)
            raw = {k: (float(v) if k in ("budget", "intensity") else v) for k, v in raw.items()}
            entries.append(PackageEntry(targeting=t, **raw))
            labels.append(label)
        except PolicyError as err:
            raise ScenarioError(path, key, str(err)) from None
    steps = data.get("steps", 40)
    for e, label in zip(entries, labels):
        if e.start >= steps:
            raise ScenarioError(path, f"package.{label}.start", f"starts at quarter {e.start}, "
                                                              f"after the horizon ({steps} quarters)")
    params = {k: REGISTRY[k].coerce(v) for k, v in data.get("params", {}).items()}
    _check_regions(path, params, entries, labels)
    name = path.stem
    package = PolicyPackage(name=name, entries=tuple(entries), description=data.get("description", ""))
    return Scenario(name=name, path=path, title=data.get("title", name), description=data.get("description", ""),
                    hypothesis=data.get("hypothesis", ""), params=params, package=package, steps=steps,
                    chain=chain)


def _check_regions(path: Path, params: dict[str, Any], entries: list[PackageEntry], labels: list[str]) -> None:
    values = resolve(params)
    for e, label in zip(entries, labels):
        for key, limit in (("regions", values["n_regions"]), ("sectors", values["n_sectors"])):
            chosen = getattr(e.targeting, key)
            if chosen and max(chosen) >= limit:
                raise ScenarioError(path, f"package.{label}.targeting.{key}",
                                    f"{max(chosen)} does not exist: there are {limit} {key} (0 to {limit - 1})")

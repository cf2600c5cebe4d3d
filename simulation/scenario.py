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
import difflib
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import schema
from .inputs import InputError, printable, refused, show
from .inputs import read_toml as _read_toml
from .params import REGISTRY, resolve, suggest
from .policy import CATALOGUE, PackageEntry, PolicyError, PolicyPackage, Targeting

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"

TOP_KEYS, ENTRY_KEYS, TARGETING_KEYS = schema.TOP_KEYS, schema.ENTRY_KEYS, schema.TARGETING_KEYS


class ScenarioError(InputError):
    """A scenario file cannot be used: says which file, which key, and what is allowed (one line)."""


class UnknownScenario(ScenarioError):
    """A scenario name that is not shipped: the nearest shipped name and every one of them, on one line
    that is never cut (the list is what the user needs)."""

    def __init__(self, path: str | Path, ref: str, names: Sequence[str]) -> None:
        close = difflib.get_close_matches(ref, list(names), n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else "."
        message = (f"unknown scenario {show(ref, 60)}{hint} Known scenarios: {', '.join(names)} "
                   f"(or give a path to a .toml file)")
        super().__init__(path, "", "")
        self.message = message
        self.args = (printable(message),)

    def __str__(self) -> str:
        return self.args[0]


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
    def entry_labels(self) -> tuple[str, ...]:
        """A name per package entry: its ``[package.NAME]`` in the file, else its instrument (numbered if repeated)."""
        return self.package.entry_keys

    @property
    def resolved_params(self) -> dict[str, Any]:
        """All parameters: registry defaults updated with this scenario's overrides."""
        return resolve(self.params)

    def to_dict(self) -> dict[str, Any]:
        """Plain data that fully determines a run with this scenario (for ids and manifests)."""
        return {"name": self.name, "title": self.title, "hypothesis": self.hypothesis,
                "steps": self.steps, "params": dict(sorted(self.params.items())),
                "package": self.package.to_dict()}


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _toml_value(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return str(value).lower() if isinstance(value, bool) else str(value)


def to_toml(scenario: Scenario, params: Mapping[str, Any] | None = None, title: str | None = None,
            description: str | None = None) -> str:
    """A scenario as a self-contained scenario file (no ``extends``), with ``params`` over its own."""
    lines = [f"title = {_toml_value(title or scenario.title)}",
             f"description = {_toml_value(scenario.description if description is None else description)}"]
    if scenario.hypothesis:
        lines.append(f"hypothesis = {_toml_value(scenario.hypothesis)}")
    lines += [f"steps = {scenario.steps}", "", "[params]"]
    lines += [f"{k} = {_toml_value(v)}" for k, v in sorted({**scenario.params, **(params or {})}.items())]
    for k, e in enumerate(scenario.package.entries):
        label = scenario.package.entry_keys[k]
        table = label if _BARE_KEY.fullmatch(label) else _toml_value(label)
        lines += ["", f"[package.{table}]", f"instrument = {_toml_value(e.instrument)}",
                  f"budget = {e.budget!r}", f"intensity = {e.intensity!r}", f"start = {e.start}"]
        if e.end is not None:
            lines.append(f"end = {e.end}")
        if e.delivered_by is not None:
            lines.append(f"delivered_by = {_toml_value(e.delivered_by)}")
        t = e.targeting
        lines.append(f"targeting = {{ select = {_toml_value(t.select)}"
                     + (f", regions = {_toml_value(t.regions)}" if t.regions is not None else "")
                     + (f", sectors = {_toml_value(t.sectors)}" if t.sectors is not None else "") + " }")
    return "\n".join(lines) + "\n"


def scenario_names(directory: Path = SCENARIO_DIR) -> list[str]:
    """Names of the scenarios shipped in ``directory``."""
    return sorted(p.stem for p in directory.glob("*.toml"))


MAX_CHAIN = 50  # files in one inheritance chain


def _is_name(ref: str) -> bool:
    """A bare name (``baseline``), not a path (``my/file.toml``, ``file.toml``, ``notes.txt``)."""
    path = Path(ref)
    return not path.suffix and path.parent == Path(".")


def allowed_roots(top: Path | None = None, directory: Path = SCENARIO_DIR,
                  extra: Sequence[str | Path] = ()) -> tuple[Path, ...]:
    """Folders a scenario file may reach through ``extends``: the scenarios folder, the working folder,
    the folder of the file the user named, and any listed in ``extra`` (or in ``SME_SCENARIO_PATH``)."""
    env = [p for p in os.environ.get("SME_SCENARIO_PATH", "").split(os.pathsep) if p]
    roots = [directory, Path.cwd(), *([top.parent] if top is not None else []), *extra, *env]
    return tuple(dict.fromkeys(Path(r).resolve() for r in roots))


def _is_file(path: Path) -> bool:
    """``path.is_file()``, false also for names the system refuses (too long, a NUL byte)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def _confined(real: Path, roots: Sequence[Path]) -> bool:
    return (real.suffix == ".toml" and not refused(real) and _is_file(real)
            and any(real == r or r in real.parents for r in roots))


def find(ref: str | Path, directory: Path = SCENARIO_DIR, roots: Sequence[Path] | None = None) -> Path:
    """A scenario reference is a name in ``directory`` or a path to a ``.toml`` file.

    A path the user gives is theirs to choose (any regular ``.toml`` file);
    with ``roots`` (the classroom's file box) it must also lie under one of them.
    """
    if not _is_name(str(ref)):
        path = Path(ref)
        try:
            real = path.resolve()
            ok = real.suffix == ".toml" and not refused(real) and _is_file(real)
        except (OSError, RuntimeError, ValueError):
            ok = False
        if ok and roots is not None:
            ok = _confined(real, roots)
        if not ok and roots is not None:  # the same words whether or not the file exists
            raise ScenarioError(path, "", "not a scenario file this app may open (a .toml file under the "
                                          "scenarios or the working folder is needed)")
        if not ok:
            exists = os.path.lexists(path) if len(str(path)) < 4096 else False
            raise ScenarioError(path, "", "not a scenario file (a regular .toml file is needed)" if exists
                                else "no such scenario file")
        return real
    candidate = directory / f"{ref}.toml"
    if not _is_file(candidate):
        raise UnknownScenario(candidate, str(ref), scenario_names(directory))
    return candidate


def read_toml(path: str | Path, error: type[ScenarioError] | None = None) -> dict[str, Any]:
    """A small TOML file as checked data (:func:`simulation.inputs.read_toml`), or one ``error``."""
    return _read_toml(path, error or ScenarioError)


_read = read_toml


def _validate_raw(path: Path, data: dict[str, Any]) -> None:
    """Check one file's own content (before inheritance) against :class:`simulation.schema.ScenarioFile`."""
    schema.validate(schema.ScenarioFile, path, data, ScenarioError)


def _merge(parent: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """Child over parent: tables merge key by key, everything else is replaced."""
    out = copy.deepcopy(parent)
    for key, value in child.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def reference(path: Path, ref: str, key: str = "extends", directory: Path = SCENARIO_DIR,
              roots: Sequence[Path] | None = None, error: type[ScenarioError] | None = None) -> Path:
    """The scenario file that ``key = ref`` in the file ``path`` names: a scenario beside ``path`` or
    shipped, by name, or a ``.toml`` path relative to ``path``'s folder that lies under one of ``roots``
    (default :func:`allowed_roots` of ``path``).

    A refused path gets the same message whether or not it exists, and
    nothing of it is read, so an error never tells what another file holds.
    """
    error = error or ScenarioError
    roots = allowed_roots(path, directory) if roots is None else roots
    if _is_name(ref):
        if ref and "\x00" not in ref and len(ref) < 200:
            for folder in (path.parent, directory):
                candidate = folder / f"{ref}.toml"
                if _is_file(candidate) and _confined(candidate.resolve(), roots):
                    return candidate.resolve()
        names = scenario_names(directory)
        what = "missing parent scenario: " if key == "extends" else ""
        raise error(path, key, f"{what}no scenario named {show(ref)}{suggest(ref, names)}; "
                               f"known scenarios: {', '.join(names)}")
    try:
        real = (path.parent / ref).resolve()
        ok = _confined(real, roots)
    except (OSError, RuntimeError, ValueError):
        ok = False
    if not ok:
        raise error(path, key, f"{show(ref)} is not a scenario this file may name: give a shipped "
                               "scenario's name, or a .toml file beside this one, under the scenarios "
                               "folder or under the working folder")
    return real


def _load_chain(path: Path, directory: Path, seen: tuple[Path, ...],
                roots: Sequence[Path]) -> tuple[dict[str, Any], tuple[str, ...]]:
    if path in seen:
        cycle = " -> ".join(p.stem for p in (*seen, path))
        raise ScenarioError(seen[0], "extends", f"inheritance cycle: {cycle}")
    if len(seen) >= MAX_CHAIN:
        raise ScenarioError(seen[0], "extends", f"a chain of more than {MAX_CHAIN} files extending each other")
    data = _read(path)
    _validate_raw(path, data)
    parent_ref = data.get("extends")
    if parent_ref is None:
        return data, (path.stem,)
    parent_path = reference(path, parent_ref, "extends", directory, roots)
    try:
        parent, chain = _load_chain(parent_path, directory, (*seen, path), roots)
    except ScenarioError as err:
        if err.key or err.file != str(parent_path):
            raise
        # The parent cannot be read at all: say so of this file, the one the user is working on.
        raise ScenarioError(path, "extends", f"parent {show(parent_path.name, 60)}: {err.message}") from None
    inherited = parent.get("package", {})
    for label, entry in data.get("package", {}).items():
        if entry.get("enabled", True) is False and label not in inherited and "instrument" not in entry:
            raise ScenarioError(path, f"package.{label}.enabled", f"removes nothing: the parent has no entry "
                                f"{show(label)}{suggest(label, inherited)}; its entries: {', '.join(inherited)}")
    merged = _merge({k: v for k, v in parent.items() if k not in ("extends", "title", "description",
                                                                    "hypothesis")}, data)
    merged.setdefault("title", parent.get("title", ""))
    return merged, (path.stem, *chain)


def load(ref: str | Path, directory: Path = SCENARIO_DIR, confine: bool = False) -> Scenario:
    """Read, inherit and validate a scenario (a name in ``directory`` or a path to a ``.toml`` file).

    ``extends`` in any file of the chain is confined (:func:`allowed_roots`);
    with ``confine`` (a path typed into the classroom) so is the file itself.
    """
    path = find(ref, directory, allowed_roots(None, directory) if confine else None)
    data, chain = _load_chain(path, directory, (), allowed_roots(path, directory))
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
            entries.append(PackageEntry(targeting=t, name=label, **raw))
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

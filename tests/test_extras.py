"""Optional packages: ``require`` names the extra that brings a missing one, and the extras it names exist."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

from simulation import extras
from simulation.extras import MissingExtra, require

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _name(requirement: str) -> str:
    """The distribution a requirement names, normalized (``scikit-learn>=1.4; ...`` -> ``scikit-learn``)."""
    return re.split(r"[\s\[<>=!~;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _require_calls() -> list[tuple[str, str, str]]:
    """Every ``require(module, extra, what)`` in the package whose arguments are written out as strings."""
    calls = []
    for path in sorted((ROOT / "simulation").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "require"
                    and len(node.args) >= 2 and all(isinstance(a, ast.Constant) for a in node.args[:2])):
                calls.append((str(path.relative_to(ROOT)), node.args[0].value, node.args[1].value))
    return calls


def test_require_returns_the_module_when_it_is_installed():
    import json
    import xml.dom

    assert require("json", "core", "this test") is json
    assert require("xml.dom", "core", "this test") is xml.dom


def test_a_missing_package_names_its_extra_and_the_install_command_in_one_line():
    with pytest.raises(MissingExtra) as caught:
        require("no_such_package_sme_0xdeadbeef.sub", "optimize", "run.py optimize")
    message = str(caught.value)
    assert message == ("run.py optimize needs the optional package no_such_package_sme_0xdeadbeef: "
                       "pip install -e '.[optimize]'")
    assert "\n" not in message
    assert isinstance(caught.value, ImportError) and caught.value.extra == "optimize"


def test_the_pip_name_is_given_where_it_differs_from_the_import_name(monkeypatch):
    monkeypatch.setitem(extras.PIP_NAMES, "no_such_package_sme_0xdeadbeef", "no-such-package")
    with pytest.raises(MissingExtra, match=r"optional package no-such-package: pip install -e '\.\[explore\]'$"):
        require("no_such_package_sme_0xdeadbeef", "explore", "CART")
    assert extras.PIP_NAMES["sklearn"] == "scikit-learn"


def test_a_package_that_is_there_but_breaks_keeps_its_own_error(tmp_path, monkeypatch):
    """Only the package itself missing is translated: what it fails to import is its own error."""
    (tmp_path / "sme_broken_pkg_for_test").mkdir()
    (tmp_path / "sme_broken_pkg_for_test" / "__init__.py").write_text("import no_such_dependency_sme_0xdead\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError) as caught:
        require("sme_broken_pkg_for_test", "optimize", "run.py optimize")
    assert not isinstance(caught.value, MissingExtra) and caught.value.name == "no_such_dependency_sme_0xdead"


def test_every_extra_named_by_require_exists_in_pyproject_and_brings_the_package():
    calls = _require_calls()
    assert {extra for _, _, extra in calls} >= {"optimize", "explore"}, calls
    optional = PYPROJECT["optional-dependencies"]
    for where, module, extra in calls:
        assert extra in optional, f"{where}: require(..., {extra!r}) names no extra of pyproject.toml"
        top = module.partition(".")[0]
        wanted = extras.PIP_NAMES.get(top, top).lower()
        assert wanted in {_name(r) for r in optional[extra]}, f"{where}: the {extra} extra does not bring {wanted}"


def test_core_dependencies_leave_the_optional_commands_packages_to_extras():
    core = {_name(r) for r in PYPROJECT["dependencies"]}
    assert not core & {"pymoo", "scikit-learn", "solara", "dask", "playwright", "ema-workbench"}, core
    assert {"matplotlib", "networkx", "numpy", "pandas"} <= core


def test_the_test_extra_runs_every_optional_commands_tests():
    optional = PYPROJECT["optional-dependencies"]
    test = " ".join(optional["test"])
    for extra in ("optimize", "explore", "demo", "dask"):
        assert extra in re.search(r"sme-internationalization\[([^\]]*)\]", test).group(1).split(",")
    assert {"playwright", "ema-workbench"} <= {_name(r) for r in optional["test-full"]}
    assert not {"playwright", "ema-workbench"} & {_name(r) for r in optional["test"]}

"""The documentation says what the code does."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import simulation as sim
from simulation import params, policy
from simulation.mechanisms import alliances, demography, learning, support, trade

ROOT = Path(__file__).resolve().parents[1]


def test_odd_tables_match_the_registry_and_catalogue():
    odd = (ROOT / "docs" / "ODD.md").read_text()
    assert params.markdown_table() in odd, "docs/ODD.md parameter table is stale: run python docs/tables.py"
    assert policy.markdown_table() in odd, "docs/ODD.md instrument table is stale: run python docs/tables.py"


def test_every_registry_parameter_is_read_by_the_model():
    source = "\n".join(p.read_text() for p in (ROOT / "simulation").rglob("*.py") if p.name != "params.py")
    unused = [name for name in sim.REGISTRY if f'"{name}"' not in source]
    assert not unused, f"parameters no mechanism reads: {unused}"


def test_every_mechanism_named_in_the_odd_exists():
    odd = (ROOT / "docs" / "ODD.md").read_text()
    modules = {"support": support, "learning": learning, "alliances": alliances, "trade": trade,
               "demography": demography}
    named = set(re.findall(r"`(support|learning|alliances|trade|demography)\.(\w+)`", odd))
    assert len(named) >= 15
    for module, func in named:
        assert hasattr(modules[module], func), f"docs/ODD.md names {module}.{func}, which does not exist"


def test_every_mechanism_has_a_docstring():
    for module in (support, learning, alliances, trade, demography):
        for name in dir(module):
            obj = getattr(module, name)
            if callable(obj) and getattr(obj, "__module__", "") == module.__name__ and not name.startswith("_"):
                assert (obj.__doc__ or "").strip(), f"{module.__name__}.{name} has no docstring"


def test_readme_opens_with_the_two_commands():
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```\n(.*?)\n```", text, re.S)[:2]
    assert "run.py run baseline" in blocks[0] and "pip install" in blocks[0]
    assert "pytest" in blocks[1] and "pip install" in blocks[1]
    assert "pytest" in (ROOT / ".ci" / "run").read_text()


def test_run_py_without_a_command_prints_help():
    out = subprocess.run([sys.executable, str(ROOT / "run.py")], capture_output=True, text=True, cwd=ROOT,
                         timeout=120)
    assert out.returncode == 0 and "compare" in out.stdout and "example" in out.stdout


def test_run_py_refuses_an_unknown_scenario_with_exit_code_2(tmp_path):
    out = subprocess.run([sys.executable, str(ROOT / "run.py"), "run", "integratd", "--out", str(tmp_path / "x")],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 2
    assert "did you mean 'integrated'" in out.stderr and "Traceback" not in out.stderr
    assert not (tmp_path / "x").exists()

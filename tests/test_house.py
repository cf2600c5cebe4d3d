"""House rules a reviewer would otherwise check by hand."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "simulation"


def test_no_module_of_the_package_is_over_400_lines():
    """Small modules, each with one job (the CLI is a package of commands, the job logic lives once)."""
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400}
    assert not long, f"modules over 400 lines: {long}"


def test_manifests_resumes_and_completion_are_written_in_one_place():
    """Only the job writes a manifest's status; the commands go through it."""
    writers = [str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
               if '"status"' in p.read_text(encoding="utf-8")]
    assert writers == ["experiments/job.py"], writers

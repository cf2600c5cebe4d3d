"""The schema of a results folder's ``manifest.json``, as far as a resume relies on it.

A manifest holds much more (scenarios, seeds, versions of the libraries,
the git commit); those are records for readers, kept as they are. What a
resume acts on is checked here, strictly: the folder schema, the command
that made it, the tool version, the status, run ids (a run id becomes a
file name, so only a hexadecimal hash is one), and the numbers that size
the work left (steps, seeds to add), bounded as the flags are
(:mod:`simulation.experiments.limits`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from ..inputs import show
from ..schema import describe
from .limits import MAX_SEED, MAX_SEEDS, MAX_STEPS
from .store import RUN_ID

RunId = Annotated[str, StringConstraints(pattern=f"^{RUN_ID.pattern}$")]
Steps = Annotated[int, Field(ge=1, le=MAX_STEPS)]       # as a scenario file's steps and --steps
Seeds = Annotated[int, Field(ge=1, le=MAX_SEEDS)]       # as compare's --max-seeds and --batch


class RunRecord(BaseModel):
    """One planned run of a run or compare job: all a run depends on (its id is recomputed from the rest)."""

    model_config = ConfigDict(extra="allow", strict=True)
    run_id: RunId
    scenario: str = Field(max_length=200)
    package: dict[str, Any]
    params: dict[str, Any]
    seed: int = Field(ge=0, le=MAX_SEED)
    steps: Steps


class Manifest(BaseModel):
    """What a resume reads from ``manifest.json``."""

    model_config = ConfigDict(extra="allow", strict=True)
    schema_version: int
    command_name: Literal["run", "compare", "sweep", "ablate", "calibrate", "explore", "attribute", "optimize"]
    version: str = Field(max_length=64)
    status: Literal["running", "complete"]
    runs: list[RunRecord] | int | None = None
    steps: Steps | None = None                           # the horizon of runs a resume adds (compare)
    max_seeds: Seeds | None = None
    batch: Seeds | None = None


def check(data: dict[str, Any]) -> str | None:
    """None if ``data`` is a manifest a resume can act on, else why not (``key: message``)."""
    try:
        Manifest.model_validate(data)
    except ValidationError as err:
        first = err.errors(include_url=False)[0]
        # pydantic names the branch of a union it tried ("list[RunRecord]"): not a key of the file
        first["loc"] = tuple(part for part in first["loc"] if not (isinstance(part, str) and "[" in part))
        if first["type"] == "string_pattern_mismatch":
            return f"{show(first.get('input'))} is not a run id (a hexadecimal hash)"
        key, message = describe(first, Manifest)
        return f"{key}: {message}" if key else message
    return None

"""The schema of every input file, declared once, and the one adapter from its failures to an error line.

Each input file (scenarios, lessons, sweep configs, calibration targets) is
read safely by :func:`simulation.inputs.read_toml` (size, encoding, finite
numbers, sane whole numbers, nesting) and then validated against a pydantic
model of :mod:`simulation.schema.files`, built from the blocks of
:mod:`simulation.schema.core`. The models are strict: a boolean is not a
number, a number is not a string, and an unknown key is refused with a
did-you-mean hint and the keys allowed. Whatever fails becomes, through :func:`errors_to_input_error`, one
``FILE: dotted.key: message`` line, values shortened and escaped
(:func:`simulation.inputs.show`).

Rules that need the rest of the project (does a named scenario load, does a
region exist) stay with the loaders; what one file may hold is said in this package.
"""


from .core import Strict, describe, dotted, errors_to_input_error, fail, in_range, one_of, validate
from .files import (
    ENTRY_KEYS,
    MAX_STEPS,
    TARGETING_KEYS,
    TOP_KEYS,
    CalibrationTable,
    ComparisonTable,
    EntryTable,
    ExploreFile,
    FactTable,
    LessonFile,
    ScenarioFile,
    SweepFile,
    TargetingTable,
    TargetsFile,
    check_names,
    check_params,
)

__all__ = [
    "ENTRY_KEYS", "MAX_STEPS", "TARGETING_KEYS", "TOP_KEYS", "CalibrationTable", "ComparisonTable",
    "EntryTable", "ExploreFile", "FactTable",
    "LessonFile", "ScenarioFile", "Strict", "SweepFile", "TargetingTable", "TargetsFile", "check_names",
    "check_params", "describe", "dotted", "errors_to_input_error", "fail", "in_range", "one_of", "validate",
]

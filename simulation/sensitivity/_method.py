"""What every method module shares: its options and the tidy form of its indices."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Option:
    """A method setting: its type, default, allowed range and meaning (for the CLI, config files and docs)."""

    kind: type
    default: Any
    meaning: str
    low: float | None = None
    high: float | None = None

    def coerce(self, name: str, value: Any) -> Any:
        """``value`` as this option's type, or ValueError saying what is allowed."""
        if self.kind is bool:
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no", "1", "0"):
                return value.lower() in ("true", "yes", "1")
            raise ValueError(f"{name} must be true or false, got {value!r}")
        if isinstance(value, bool):
            raise ValueError(f"{name} must be a number, got {value!r}")
        try:
            number = self.kind(value)
        except (TypeError, ValueError):
            what = "whole number" if self.kind is int else "number"
            raise ValueError(f"{name} must be a {what}, got {value!r}") from None
        if self.kind is int and isinstance(value, float) and value != int(value):
            raise ValueError(f"{name} must be a whole number, got {value!r}")
        if (self.low is not None and number < self.low) or (self.high is not None and number > self.high):
            raise ValueError(f"{name} must be in [{self.low}, {self.high}], got {number}")
        return number


COMMON: dict[str, Option] = {
    "num_resamples": Option(int, 100, "bootstrap resamples for the confidence intervals", 10, 100_000),
    "conf_level": Option(float, 0.95, "confidence level of the intervals", 0.5, 0.999),
}


def tidy(result: Mapping[str, Any], names: Sequence[str], indices: Mapping[str, str | None]) -> pd.DataFrame:
    """SALib's result dict as rows (parameter, index, value, conf).

    ``indices`` maps each index key to the key of its confidence half-width
    (or None when the method gives none).
    """
    rows = []
    for index, conf_key in indices.items():
        values = np.asarray(result[index], dtype=float)
        confs = np.asarray(result[conf_key], dtype=float) if conf_key else np.full(len(values), np.nan)
        for name, v, c in zip(names, values, confs):
            rows.append({"parameter": name, "index": index, "value": float(v), "conf": float(c)})
    return pd.DataFrame(rows, columns=["parameter", "index", "value", "conf"])


def param_names(problem: Mapping[str, Any]) -> list[str]:
    """The names SALib reports indices for: groups when the problem has them, else parameters."""
    groups = problem.get("groups")
    if groups:
        return list(dict.fromkeys(groups))
    return list(problem["names"])

"""Global sensitivity analysis on the runner and the parameter registry.

One module per method, each a SALib sampler and analyzer as a pair
(``sample`` / ``analyze``), with its options, its ranking index (``MAIN``),
the indices that lie in [0, 1] (``BOUNDED``) and what it allows: given data
(``GIVEN_DATA``), indices per group (``GROUPS``), a reference input in its
design (``DUMMY_IN_DESIGN``), intervals to decide on (``CONF_RELIABLE``), a
design that nests from N to 2N (``NESTED``). The experiment design
(:mod:`.design`), the runs (the crash-safe runner) and the analysis
(:mod:`.analysis`) are separate steps joined by plain tables.
"""

from __future__ import annotations

from types import ModuleType

from . import delta, fast, morris, pawn, rbd_fast, sobol

METHODS: dict[str, ModuleType] = {"sobol": sobol, "morris": morris, "fast": fast, "rbd_fast": rbd_fast,
                                  "delta": delta, "pawn": pawn}

from . import known  # noqa: E402  (after METHODS: the sweep module reads it)
from .sweep import sweep_model  # noqa: E402

__all__ = ["METHODS", "known", "sweep_model"]

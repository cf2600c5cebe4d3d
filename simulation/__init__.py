"""SME internationalization under integrated policy: an agent-based model on Mesa.

The public API::

    import simulation
    result = simulation.run(package, seed=1, n_smes=2000)
    result.timeseries      # one row per quarter
    result.summary         # end-of-run outcomes
"""

from ._version import __version__
from .agents import SME, LargeEnterprise, LocalGovernment, NationalGovernment  # noqa: E402
from .api import RunResult, replicate_seeds, run, run_batch, summarize  # noqa: E402
from .engine import Batch, RunInput  # noqa: E402
from .model import SMEModel  # noqa: E402
from .params import REGISTRY, Parameter, ParameterError, defaults  # noqa: E402
from .policy import (  # noqa: E402
    CATALOGUE,
    NO_POLICY,
    PackageEntry,
    PolicyError,
    PolicyPackage,
    Targeting,
)

__all__ = [
    "CATALOGUE", "NO_POLICY", "REGISTRY", "Batch", "LargeEnterprise", "LocalGovernment", "NationalGovernment",
    "RunInput",
    "PackageEntry", "Parameter", "ParameterError", "PolicyError", "PolicyPackage", "RunResult", "SME",
    "SMEModel", "Targeting", "__version__", "defaults", "replicate_seeds", "run", "run_batch", "summarize",
]

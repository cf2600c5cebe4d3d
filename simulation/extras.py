"""Optional packages: each command that needs one names the extra that brings it.

The core install (``pip install -e .``) runs ``run``, ``compare``, ``sweep``,
``ablate``, ``attribute``, ``calibrate``, ``check-facts`` and ``explore``
without its CART trees. The other commands' packages are extras in
``pyproject.toml`` (docs/install.md, "Extras"); where one is missing,
:func:`require` stops with one line naming the extra and the command that
installs it, instead of a traceback from deep inside a run.
"""

from __future__ import annotations

import importlib
from types import ModuleType

# What pip calls a package whose import name differs.
PIP_NAMES = {"sklearn": "scikit-learn"}


class MissingExtra(ModuleNotFoundError):
    """An optional package is not installed; the message names the extra that brings it.

    A ``ModuleNotFoundError`` (so an ``ImportError``), as the import it stands for would have raised.
    """

    def __init__(self, module: str, extra: str, what: str) -> None:
        self.extra, self.what = extra, what
        top = module.partition(".")[0]
        super().__init__(f"{what} needs the optional package {PIP_NAMES.get(top, top)}: "
                         f"pip install -e '.[{extra}]'", name=top)


def require(module: str, extra: str, what: str) -> ModuleType:
    """Import ``module`` and return it, or raise :class:`MissingExtra` naming ``extra`` and ``what`` needs it.

    ``what`` is the command or feature, e.g. ``"run.py optimize"``. Only a
    missing package is translated: an installed package that fails to import
    for another reason keeps its own error.
    """
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as err:
        if err.name != module.partition(".")[0]:
            raise  # the package is there but something it imports is not: its own error says what
        raise MissingExtra(module, extra, what) from None

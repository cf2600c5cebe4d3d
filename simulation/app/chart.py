"""A Vega-Lite chart drawn by the browser (``vega.vue``): the server sends a specification once, then data.

Each quarter only the named data sets change, and the browser swaps them into
the live Vega view (no re-parse). Vega, Vega-Lite and vega-embed come from
Solara's asset store on this machine (the solara-assets package), at the
versions it holds, so no internet is needed.
"""

from __future__ import annotations

from typing import Any

import solara


@solara.component_vue("vega.vue")
def VegaChart(name: str, spec: dict[str, Any], datasets: dict[str, list[dict[str, Any]]], stamp: str = "") -> None:
    """``spec`` is a Vega-Lite specification reading named data sets; ``datasets`` fills them.

    ``stamp`` names the state drawn (the browser copies it to ``data-drawn``
    once the chart shows it), so a test can wait for exactly that quarter.
    """

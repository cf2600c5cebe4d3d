"""HTML from the Jinja2 templates in ``templates/``, autoescaped, and figures embedded as base64 PNG.

Every report (runs and comparisons, sweeps, calibration) extends ``base.html``:
the shared style, the title and the provenance line. Text from the user
(scenario titles and descriptions, file paths, parameter names) goes into the
templates as plain values and is escaped there; only tables that pandas
renders with ``to_html(escape=True)`` are inserted with ``|safe``.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2

from .. import files
from .figures import plt

ENV = jinja2.Environment(loader=jinja2.PackageLoader("simulation.reporting", "templates"),
                         autoescape=jinja2.select_autoescape(["html"]), undefined=jinja2.StrictUndefined,
                         trim_blocks=True, lstrip_blocks=True)
# a number through a format spec: {{ x|fmt(",.0f") }} (Jinja's own format filter is %-style, without ",")
ENV.filters["fmt"] = lambda value, spec="": format(value, spec)

DPI = 110


def render(template: str, folder: Path, **context: Any) -> Path:
    """Render ``template`` with ``context`` into ``folder/report.html`` (UTF-8); returns its path."""
    return files.write_text(Path(folder), "report.html", ENV.get_template(template).render(**context))


def png(fig: plt.Figure) -> bytes:
    """The figure as PNG bytes; closes it."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def save_and_embed(folder: Path, made: Mapping[str, plt.Figure | None]) -> dict[str, str]:
    """Write each figure as ``folder/figures/<name>.png``; return them base64-encoded, for ``<img src="data:...">``.

    Figures that are None (nothing to draw) are skipped.
    """
    files.make_folder(Path(folder), "figures")
    out = {}
    for name, fig in made.items():
        if fig is None:
            continue
        data = png(fig)
        files.write_bytes(Path(folder), f"figures/{name}.png", data)
        out[name] = base64.b64encode(data).decode()
    return out

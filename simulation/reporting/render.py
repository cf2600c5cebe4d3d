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

from .figures import plt

ENV = jinja2.Environment(loader=jinja2.PackageLoader("simulation.reporting", "templates"),
                         autoescape=jinja2.select_autoescape(["html"]), undefined=jinja2.StrictUndefined,
                         trim_blocks=True, lstrip_blocks=True)
# a number through a format spec: {{ x|fmt(",.0f") }} (Jinja's own format filter is %-style, without ",")
ENV.filters["fmt"] = lambda value, spec="": format(value, spec)

DPI = 110


def render(template: str, path: Path, **context: Any) -> Path:
    """Render ``template`` with ``context`` into ``path`` (UTF-8); returns ``path``."""
    Path(path).write_text(ENV.get_template(template).render(**context), encoding="utf-8")
    return Path(path)


def png(fig: plt.Figure) -> bytes:
    """The figure as PNG bytes; closes it."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def save_and_embed(fig_dir: Path, made: Mapping[str, plt.Figure | None]) -> dict[str, str]:
    """Write each figure as ``fig_dir/<name>.png``; return them base64-encoded, for ``<img src="data:...">``.

    Figures that are None (nothing to draw) are skipped.
    """
    fig_dir = Path(fig_dir)
    fig_dir.mkdir(parents=True, exist_ok=True)
    out = {}
    for name, fig in made.items():
        if fig is None:
            continue
        data = png(fig)
        (fig_dir / f"{name}.png").write_bytes(data)
        out[name] = base64.b64encode(data).decode()
    return out

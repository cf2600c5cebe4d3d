#!/usr/bin/env python3
"""Regenerate the tables of docs/ODD.md from the registry, the catalogue and the classroom levers.

    python docs/tables.py          # rewrite docs/ODD.md in place
    python docs/tables.py --check  # exit 1 if docs/ODD.md is out of date
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from simulation import levers, params, policy

ODD = Path(__file__).with_name("ODD.md")
TABLES = {"PARAMETERS": params.markdown_table, "INSTRUMENTS": policy.markdown_table,
          "LEVERS": levers.markdown_table}


def render(text: str) -> str:
    for name, make in TABLES.items():
        pattern = re.compile(rf"(<!-- BEGIN {name} -->\n)(?:.*?\n)?(<!-- END {name} -->)", re.S)
        if not pattern.search(text):
            raise SystemExit(f"{ODD}: markers for {name} are missing")
        text = pattern.sub(lambda m, make=make: m.group(1) + make() + "\n" + m.group(2), text)
    return text


def main() -> int:
    text = ODD.read_text()
    new = render(text)
    if "--check" in sys.argv:
        if new != text:
            print(f"{ODD} is out of date: run python docs/tables.py", file=sys.stderr)
            return 1
        return 0
    ODD.write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())

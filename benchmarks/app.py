#!/usr/bin/env python3
"""How fast the classroom app answers, at the default 2,000 SMEs.

    python benchmarks/app.py             # server side, then in Chromium if it is installed
    python benchmarks/app.py --no-browser

Prints:
  1. building the model a lesson starts from (the live model plus its
     reference run), for each lesson;
  2. one quarter on the server, split into the model's step and each chart
     (drawing plus encoding, as the app sends it), median over the horizon;
  3. with Chromium and Playwright: from a click on Step until every chart in
     the browser shows the new quarter, median over 10 clicks.
Never used in tests: machines are shared and noisy, so read ratios.
"""

from __future__ import annotations

import argparse
import datetime
import io
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import simulation as sim  # noqa: E402
from simulation.classroom import ClassroomModel  # noqa: E402
from simulation.lessons import load_lessons  # noqa: E402
from simulation.views import FIGURES, SAVE  # noqa: E402


def build_times() -> list[tuple[str, float]]:
    out = []
    for lesson in load_lessons():
        t = time.perf_counter()
        ClassroomModel(lesson.scenario, reference=lesson.reference, seed="7", **lesson.levers)
        out.append((lesson.title, time.perf_counter() - t))
    return out


def quarter_split() -> dict[str, float]:
    """Median seconds per quarter: the model's step and each chart (drawn and encoded as the app sends it)."""
    lesson = load_lessons()[0]
    model = ClassroomModel(lesson.scenario, reference=lesson.reference, seed="1")
    times: dict[str, list[float]] = {"model step": [], **{name: [] for name in FIGURES}}
    for _ in range(2):  # the first drawings load fonts
        for draw in FIGURES.values():
            draw(model).savefig(io.BytesIO(), **SAVE)
    while model.running:
        t = time.perf_counter()
        model.step()
        times["model step"].append(time.perf_counter() - t)
        for name, draw in FIGURES.items():
            t = time.perf_counter()
            draw(model).savefig(io.BytesIO(), **SAVE)
            times[name].append(time.perf_counter() - t)
    return {k: statistics.median(v) for k, v in times.items()}


def browser_step(clicks: int = 10) -> float | None:
    """Median seconds from a click on Step until every chart image has changed, or None without a browser."""
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if not Path(chromium).exists():
        return None
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "demo", "--port", str(port)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=[
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            deadline = time.time() + 90
            while True:
                try:
                    page.goto(f"http://127.0.0.1:{port}/", timeout=5000)
                    break
                except Exception:
                    if time.time() > deadline:
                        raise
                    time.sleep(0.5)
            page.wait_for_function(f"document.querySelectorAll('img').length >= {len(FIGURES)}", timeout=60000)
            spans = []
            for _ in range(clicks):
                before = page.eval_on_selector_all("img", "els => els.map(e => e.src)")
                t = time.perf_counter()
                page.get_by_role("button", name="Step").click()
                page.wait_for_function(
                    "old => { const now = Array.from(document.querySelectorAll('img')).map(e => e.src);"
                    " return old.every((src, i) => now[i] !== src); }", arg=before, timeout=30000)
                spans.append(time.perf_counter() - t)
            browser.close()
        return statistics.median(spans)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--no-browser", action="store_true", help="skip the end-to-end measurement in Chromium")
    args = ap.parse_args()
    print(f"# benchmarks/app.py, {datetime.date.today()}, {platform.node()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, simulation {sim.__version__}")
    print("\n## 1. Building a lesson's model (live model and its reference run, 2,000 SMEs)")
    for title, seconds in build_times():
        print(f"  {1e3 * seconds:7.0f} ms  {title}")
    print("\n## 2. One quarter on the server (median over 40 quarters)")
    split = quarter_split()
    for name, seconds in split.items():
        print(f"  {name:12} {1e3 * seconds:7.1f} ms")
    total = sum(split.values())
    print(f"  {'total':12} {1e3 * total:7.1f} ms  (charts: {100 * (1 - split['model step'] / total):.0f}%)")
    if not args.no_browser:
        print("\n## 3. Click on Step until every chart shows the new quarter, in Chromium (median of 10)")
        seconds = browser_step()
        print("  (no Chromium or Playwright here)" if seconds is None else f"  {1e3 * seconds:7.0f} ms")


if __name__ == "__main__":
    main()

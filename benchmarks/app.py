#!/usr/bin/env python3
"""How fast the classroom app answers, at the default 2,000 SMEs.

    python benchmarks/app.py             # server side, then in Chromium if it is installed
    python benchmarks/app.py --no-browser

Prints:
  1. building the model a lesson starts from (the live model plus its
     reference run), for each lesson;
  2. one quarter on the server, median over the 40 quarters of lesson H1:
     the model's step, then each chart's data (views.datasets for that chart)
     with its JSON encoding, which is what the server does per quarter now
     that the browser draws the charts, and the total;
  3. with Chromium and Playwright, the app served by ``run.py demo`` at a
     1280 x 720 viewport, lesson H1:
     (a) load: from page.goto of /?lesson=h1 until all five charts are drawn
         (a non-empty data-drawn), median of 3 fresh pages (each in a new
         browser context, so nothing cached; one untimed load warms the server first);
     (b) Step: from the click on Step until every chart's data-drawn names
         the new quarter and the Quarter monitor shows it, median and 90th
         percentile over 20 clicks, one after another;
     (c) Play: from the click on Play until the Quarter monitor shows 40/40,
         with the pace the play loop keeps (state.PLAY_INTERVAL per quarter);
     (d) whether a Step meets the target of 0.25 s (the median).
  Errors in the server's log or the browser's console are printed at the end.
Never used in tests: machines are shared and noisy, so read ratios.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import simulation as sim  # noqa: E402
from simulation import views  # noqa: E402
from simulation.classroom import ClassroomModel  # noqa: E402
from simulation.lessons import load_lessons  # noqa: E402

STEP_TARGET = 0.25  # seconds from a click on Step until every chart shows the new quarter
LESSON = "h1"
VIEWPORT = {"width": 1280, "height": 720}
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]

# JavaScript run in the page: the charts' data-drawn stamps ("model id:quarter:ghosts") and the Quarter monitor.
JS_STATE = """() => ({
  drawn: Array.from(document.querySelectorAll('.sme-chart')).map(e => [e.dataset.chart, e.dataset.drawn || '']),
  quarter: (Array.from(document.querySelectorAll('.sme-monitor'))
            .find(m => m.querySelector('.label')?.textContent.trim() === 'Quarter')
            ?.querySelector('.value')?.textContent.trim()) || '',
  buttons: Array.from(document.querySelectorAll('button'))
           .map(b => b.textContent.trim() + (b.disabled ? ' (disabled)' : ''))
           .filter(t => /^(Play|Pause|Step|Reset)/.test(t))})"""
JS_ALL_DRAWN = """n => { const c = document.querySelectorAll('.sme-chart');
  return c.length >= n && Array.from(c).every(e => (e.dataset.drawn || '') !== ''); }"""
JS_QUARTER_DRAWN = """([n, q, label]) => { const c = document.querySelectorAll('.sme-chart');
  const mon = Array.from(document.querySelectorAll('.sme-monitor'))
    .find(m => m.querySelector('.label')?.textContent.trim() === 'Quarter');
  return c.length >= n && Array.from(c).every(e => (e.dataset.drawn || '').split(':')[1] === String(q))
    && mon !== undefined && mon.querySelector('.value').textContent.trim() === label; }"""
JS_MONITOR = """label => { const mon = Array.from(document.querySelectorAll('.sme-monitor'))
    .find(m => m.querySelector('.label')?.textContent.trim() === 'Quarter');
  return mon !== undefined && mon.querySelector('.value').textContent.trim() === label; }"""


def build_times() -> list[tuple[str, float]]:
    out = []
    for lesson in load_lessons():
        t = time.perf_counter()
        ClassroomModel(lesson.scenario, reference=lesson.reference, seed="7", **lesson.levers)
        out.append((lesson.title, time.perf_counter() - t))
    return out


def quarter_split() -> tuple[dict[str, float], float, int]:
    """Median seconds per quarter: the model's step and each chart's data with its JSON encoding.

    Also the median of all five charts' data in one call, as the page asks for it, and the horizon.
    """
    lesson = next(x for x in load_lessons() if x.hypothesis.lower() == LESSON)
    model = ClassroomModel(lesson.scenario, reference=lesson.reference, seed="1", **lesson.levers)
    times: dict[str, list[float]] = {"model step": [], **{name: [] for name in views.CHARTS}}
    together = []
    for name in views.CHARTS:  # the first calls warm pandas' code paths
        json.dumps(views.datasets(model, charts=[name]))
    while model.running:
        t = time.perf_counter()
        model.step()
        times["model step"].append(time.perf_counter() - t)
        for name in views.CHARTS:
            t = time.perf_counter()
            json.dumps(views.datasets(model, charts=[name]))
            times[name].append(time.perf_counter() - t)
        t = time.perf_counter()
        json.dumps(views.datasets(model))
        together.append(time.perf_counter() - t)
    return {k: statistics.median(v) for k, v in times.items()}, statistics.median(together), model.horizon


class Server:
    """``run.py demo`` on a free port, its output in a temporary log; stopped as a process group."""

    def __init__(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = tempfile.NamedTemporaryFile("w+", prefix="bench_app_server_", suffix=".log", delete=False)
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "demo", "--port", str(self.port)],
                                     cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait(self, seconds: float = 90) -> None:
        deadline = time.time() + seconds
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server stopped (exit {self.proc.returncode}):\n{self.log_text()}")
            try:
                with urllib.request.urlopen(self.url, timeout=5) as reply:
                    reply.read()
                return
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.5)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def log_text(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(encoding="utf-8", errors="replace")


def browser_times(out: dict, steps: int = 20, loads: int = 3) -> dict | None:
    """Load, Step and Play in Chromium, in seconds, into ``out``; None without Chromium or Playwright.

    ``out`` keeps what was measured, the server's log and the browser's errors even if a wait fails.
    """
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    try:
        from playwright.sync_api import TimeoutError as PlaywrightTimeout
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if not Path(chromium).exists():
        return None
    from simulation.app.state import PLAY_INTERVAL

    n = len(views.CHARTS)
    out.update(console=[], play_interval=PLAY_INTERVAL)
    server = Server()
    try:
        server.wait()
        url = f"{server.url}?lesson={LESSON}"
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)

            def fresh_page():
                page = browser.new_context(viewport=VIEWPORT).new_page()
                page.on("console", lambda m: m.type == "error" and out["console"].append(m.text))
                page.on("pageerror", lambda e: out["console"].append(f"page error: {e}"))
                return page

            def wait(page, what: str, predicate: str, arg=None, timeout: float = 60_000) -> None:
                try:
                    page.wait_for_function(predicate, arg=arg, timeout=timeout, polling="raf")
                except PlaywrightTimeout:
                    seen = page.evaluate(JS_STATE)
                    raise RuntimeError(f"timed out after {timeout / 1e3:.0f} s waiting for {what}; the page "
                                       f"shows Quarter {seen['quarter']!r}, buttons {seen['buttons']} "
                                       f"and charts {seen['drawn']}") from None

            def load(page) -> float:
                t = time.perf_counter()
                page.goto(url, timeout=60_000)
                wait(page, "every chart drawn after loading", JS_ALL_DRAWN, n)
                return time.perf_counter() - t

            warm = fresh_page()
            load(warm)  # the server's first page imports and builds what later pages reuse
            warm.context.close()
            out["load"] = []
            for _ in range(loads):
                page = fresh_page()
                out["load"].append(load(page))
                page.context.close()

            page = fresh_page()
            load(page)
            horizon = int(page.evaluate(JS_STATE)["quarter"].split("/")[1])
            step = page.get_by_role("button", name="Step", exact=True)
            out["step"] = []
            for q in range(1, steps + 1):
                t = time.perf_counter()
                step.click()
                wait(page, f"quarter {q} after a click on Step", JS_QUARTER_DRAWN, [n, q, f"{q}/{horizon}"])
                out["step"].append(time.perf_counter() - t)
            page.context.close()

            page = fresh_page()
            load(page)
            t = time.perf_counter()
            page.get_by_role("button", name="Play", exact=True).click()
            wait(page, f"{horizon}/{horizon} after a click on Play", JS_MONITOR, f"{horizon}/{horizon}",
                 timeout=30_000 + 10_000 * horizon * PLAY_INTERVAL)
            out["play"] = time.perf_counter() - t
            wait(page, f"every chart drawn at quarter {horizon}", JS_QUARTER_DRAWN,
                 [n, horizon, f"{horizon}/{horizon}"])
            out["play_drawn"] = time.perf_counter() - t
            out["horizon"] = horizon
            page.context.close()
            browser.close()
    finally:
        server.stop()
        out["server_log"] = server.log_text()
        server.log.close()
        os.unlink(server.log.name)
    return out


def server_problems(log: str) -> list[str]:
    """Tracebacks (whole) and lines naming an error in the server's log."""
    lines, out, inside = log.splitlines(), [], False
    for line in lines:
        if line.startswith("Traceback"):
            inside = True
        if inside or any(w in line for w in ("Error", "ERROR", "Exception", "CRITICAL")):
            out.append(line)
        if inside and line and not line.startswith((" ", "Traceback")):
            inside = False  # the exception's own line ends a traceback
    return out


def print_problems(result: dict) -> None:
    problems = server_problems(result.get("server_log", ""))
    console = result.get("console", [])
    if problems or console:
        print("\n## Problems seen")
        for line in problems[:60]:
            print(f"  server: {line}")
        for line in console[:20]:
            print(f"  browser console: {line}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--no-browser", action="store_true", help="skip the end-to-end measurements in Chromium")
    args = ap.parse_args()
    print(f"# benchmarks/app.py, {datetime.date.today()}, {platform.node()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, simulation {sim.__version__}")
    print("\n## 1. Building a lesson's model (live model and its reference run, 2,000 SMEs)")
    for title, seconds in build_times():
        print(f"  {1e3 * seconds:7.0f} ms  {title}")
    split, together, horizon = quarter_split()
    print(f"\n## 2. One quarter on the server, lesson {LESSON.upper()} (median over {horizon} quarters)")
    print("  each chart: its data (views.datasets) and JSON encoding")
    for name, seconds in split.items():
        print(f"  {name:12} {1e3 * seconds:7.1f} ms")
    total = sum(split.values())
    print(f"  {'total':12} {1e3 * total:7.1f} ms  (charts: {100 * (1 - split['model step'] / total):.0f}%)")
    print(f"  (all five charts in one datasets call, as the page asks: {1e3 * together:.1f} ms)")
    if args.no_browser:
        return
    print(f"\n## 3. In Chromium, {VIEWPORT['width']}x{VIEWPORT['height']}, /?lesson={LESSON}")
    result: dict = {}
    try:
        if browser_times(result) is None:
            print("  (no Chromium or Playwright here)")
            return
    except Exception as err:
        print(f"  FAILED: {err}")
        for key, what in (("load", "loads"), ("step", "Step clicks")):
            if result.get(key):
                print(f"  measured before it failed, {what}: {', '.join(f'{1e3 * s:.0f}' for s in result[key])} ms")
        print_problems(result)
        sys.exit(1)
    loads, steps = result["load"], result["step"]
    p90 = statistics.quantiles(steps, n=10)[-1]
    pace, h = result["play_interval"], result["horizon"]
    print(f"  (a) load until all {len(views.CHARTS)} charts are drawn, median of {len(loads)} fresh pages: "
          f"{1e3 * statistics.median(loads):6.0f} ms  ({', '.join(f'{1e3 * s:.0f}' for s in loads)})")
    print(f"  (b) Step until every chart shows the new quarter, {len(steps)} clicks: median "
          f"{1e3 * statistics.median(steps):.0f} ms, 90th percentile {1e3 * p90:.0f} ms "
          f"(min {1e3 * min(steps):.0f}, max {1e3 * max(steps):.0f})")
    print(f"  (c) Play until the Quarter monitor shows {h}/{h}: {result['play']:.2f} s "
          f"({1e3 * result['play'] / h:.0f} ms a quarter; the play loop's pace is PLAY_INTERVAL = {pace} s, "
          f"so at least {pace * h:.1f} s); every chart drawn at {h} after {result['play_drawn']:.2f} s")
    median = statistics.median(steps)
    print(f"  (d) Step target <= {STEP_TARGET} s: {'met' if median <= STEP_TARGET else 'missed'} "
          f"(median {1e3 * median:.0f} ms)")
    print_problems(result)


if __name__ == "__main__":
    main()

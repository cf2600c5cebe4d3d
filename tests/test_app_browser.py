"""The classroom app in a real browser: Debian's Chromium driven by Playwright.

The server (``run.py demo``) runs in a network namespace of its own that has
only a loopback interface, and Chromium joins that namespace, so neither can
reach anything but each other: the app must load with no internet. Where
namespaces are not allowed (not root), the test still blocks and fails every
request that leaves 127.0.0.1. Screenshots go to ``outputs/test-artifacts/``.

Skipped when Chromium is not installed, unless ``SME_REQUIRE_BROWSER=1`` (set
by ``.ci/run``), which turns the skip into a failure.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

from simulation.lessons import load_lessons

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update"]
CHARTS = 5  # stages, outcomes, budget, regions, network

pytestmark = pytest.mark.browser


def _need_browser() -> None:
    missing = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright package")
    if not Path(CHROMIUM).exists():
        missing.append(f"{CHROMIUM} (apt-get install chromium)")
    if missing:
        why = "missing: " + ", ".join(missing)
        if os.environ.get("SME_REQUIRE_BROWSER"):
            pytest.fail(f"SME_REQUIRE_BROWSER is set but {why}")
        pytest.skip(why)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _can_isolate() -> bool:
    """Can this process give the server a network namespace with loopback only, and let Chromium join it?"""
    if os.geteuid() != 0 or not all(shutil.which(t) for t in ("unshare", "nsenter", "ip")):
        return False
    probe = subprocess.run(["unshare", "--net", "--", "ip", "link", "set", "lo", "up"], capture_output=True)
    return probe.returncode == 0


def _in_namespace(pid: int, argv: list[str], timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run(["nsenter", f"--net=/proc/{pid}/ns/net", *argv], capture_output=True, timeout=timeout)


@pytest.fixture
def artifacts() -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    out = ROOT / "outputs" / "test-artifacts" / f"browser-{stamp}-py{sys.version_info[0]}{sys.version_info[1]}"
    out.mkdir(parents=True)
    return out


@pytest.fixture
def demo_server(tmp_path, artifacts):
    """``run.py demo`` on a free port, isolated from the network where possible; stopped afterwards."""
    _need_browser()
    port = _free_port()
    isolated = _can_isolate()
    cmd = [sys.executable, str(ROOT / "run.py"), "demo", "--port", str(port)]
    if isolated:  # unshare execs in place: the child's pid is the server's, and /proc/pid/ns/net its network
        cmd = ["unshare", "--net", "--", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", *cmd]
    log = (artifacts / "server.log").open("w")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOLARA_")}
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=env)
    url = f"http://127.0.0.1:{port}/"
    check = [sys.executable, "-c", f"import urllib.request; urllib.request.urlopen({url!r}, timeout=2)"]
    deadline = time.time() + 90
    try:
        while True:
            assert proc.poll() is None, (artifacts / "server.log").read_text()
            ready = (_in_namespace(proc.pid, check, 10) if isolated else subprocess.run(check, capture_output=True))
            if ready.returncode == 0:
                break
            assert time.time() < deadline, "the demo server did not answer in 90 s"
            time.sleep(0.5)
        chromium = CHROMIUM
        if isolated:
            chromium = tmp_path / "chromium-in-namespace"
            chromium.write_text(f'#!/bin/sh\nexec nsenter --net=/proc/{proc.pid}/ns/net {CHROMIUM} "$@"\n')
            chromium.chmod(0o755)
        yield {"url": url, "pid": proc.pid, "isolated": isolated, "chromium": str(chromium),
               "log": artifacts / "server.log"}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
    # Nothing is left behind: the server's whole process group is gone.
    with pytest.raises(ProcessLookupError):
        os.killpg(proc.pid, 0)


def _chart_images(page) -> list[str]:
    return page.eval_on_selector_all("img", "els => els.map(e => e.src)")


def test_classroom_app_in_chromium(demo_server, artifacts):
    from playwright.sync_api import expect, sync_playwright

    server = demo_server
    log_text = server["log"].read_text()
    assert f"Classroom app: {server['url']}" in log_text  # run.py demo prints where the app is
    outside, failed, errors = [], [], []

    def guard(route):
        host = urlparse(route.request.url).hostname
        if host != "127.0.0.1" and not route.request.url.startswith(("data:", "blob:")):
            outside.append(route.request.url)
            return route.abort()
        return route.continue_()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=server["chromium"], args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.route("**/*", guard)
            page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(server["url"], timeout=60_000)

            # Controls and plots are there.
            expect(page.get_by_role("button", name="Reset")).to_be_visible(timeout=60_000)
            page.wait_for_function(f"document.querySelectorAll('img').length >= {CHARTS}", timeout=60_000)
            for name in ("Step", "Reset"):
                expect(page.get_by_role("button", name=name)).to_be_visible()
            for text in ("Lessons", "Live scenario", "Reference (faint line)", "Seed (whole number)",
                         "Tariff cut (0-1)", "National-local coordination (0-1)", "Mapping study",
                         "Precondition stage budget (x scenario)"):
                expect(page.get_by_text(text, exact=False).first).to_be_attached()
            for lesson in load_lessons():
                expect(page.get_by_role("button", name=lesson.hypothesis, exact=True)).to_be_visible()
            page.screenshot(path=artifacts / "1-start.png", full_page=True)

            # Move a slider; Reset rebuilds the model with it, and the app says what moved.
            slider = page.locator(".v-input", has_text="Tariff cut").locator("[role=slider]")
            slider.focus()
            for _ in range(4):
                page.keyboard.press("ArrowRight")
                page.wait_for_timeout(250)  # a hand's pace: each move reaches the server
            assert float(slider.get_attribute("aria-valuenow")) == pytest.approx(0.2)
            page.get_by_role("button", name="Reset").click()
            expect(page.get_by_text("Moved from the scenario:")).to_be_visible(timeout=30_000)
            expect(page.get_by_text(re.compile(r"Tariff cut \(0-1\): 0 to 0\.2"))).to_be_visible()
            page.wait_for_function(f"document.querySelectorAll('img').length >= {CHARTS}", timeout=30_000)

            # Step a few quarters: every chart changes.
            before = _chart_images(page)
            for quarter in (1, 2, 3):
                page.get_by_role("button", name="Step").click()
                expect(page.get_by_text(re.compile(rf"^(Step|Time): {quarter}(\.0)?$"))).to_be_visible(timeout=30_000)
            page.wait_for_function(
                "old => { const now = Array.from(document.querySelectorAll('img')).map(e => e.src);"
                " return now.length >= old.length && old.every((src, i) => now[i] !== src); }",
                arg=before, timeout=30_000)
            after = _chart_images(page)
            assert len(after) >= CHARTS and all(a != b for a, b in zip(before, after))
            page.screenshot(path=artifacts / "2-stepped.png", full_page=True)

            # A lesson: its text appears and the live scenario and reference follow it.
            lesson = load_lessons()[0]
            page.get_by_role("button", name=lesson.hypothesis, exact=True).click()
            expect(page.get_by_text(lesson.title)).to_be_visible(timeout=30_000)
            expect(page.get_by_text(lesson.claim[:60])).to_be_visible()
            expect(page.get_by_text("What to look for.")).to_be_visible()
            page.wait_for_function(f"document.querySelectorAll('img').length >= {CHARTS}", timeout=30_000)
            page.screenshot(path=artifacts / "3-lesson.png", full_page=True)
        finally:
            browser.close()

    assert outside == [], f"requests left this machine: {outside}"
    assert failed == [], f"failed requests (an asset missing offline?): {failed}"
    assert errors == [], f"errors in the page: {errors}"
    (artifacts / "isolation.txt").write_text("network namespace with loopback only\n" if server["isolated"]
                                             else "no namespace (not root): off-loopback requests blocked\n")

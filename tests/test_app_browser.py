"""The classroom app in a real browser: Debian's Chromium driven by Playwright.

What a teacher does with a lesson (Reset keeps the lesson and the moved levers,
switching lesson while playing, 30 quick Steps, a reload, the end of a run,
earlier runs kept, CSV export, 20 seeds), the 1280 x 720 projector layout with
its text sizes measured in the browser, and class mode (three students, the
teacher's page behind its token).

The server (``run.py demo``) runs in a network namespace of its own that has
only a loopback interface, and Chromium joins that namespace, so neither can
reach anything but each other: the app must load with no internet. Where
namespaces are not allowed (not root), the test still blocks and fails every
request that leaves 127.0.0.1. Screenshots go to ``outputs/test-artifacts/``.

Skipped when Chromium or Playwright (the ``test-full`` extra) is not installed,
unless ``SME_REQUIRE_BROWSER=1`` (set by ``.ci/run``), which turns the skip into a
failure.
"""

from __future__ import annotations

import contextlib
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
from simulation.scenario import load

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update"]
CHARTS = 5  # outcomes, stages, budget, regions, network
DRAWN = ("(n) => { const c = document.querySelectorAll('.sme-chart[data-chart]');"
         " return c.length >= n && Array.from(c).every(e => e.dataset.drawn); }")

pytestmark = pytest.mark.browser


def _need_browser() -> None:
    missing = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright package (the test-full extra: pip install -e '.[test-full]')")
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


def _artifacts(name: str) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    out = ROOT / "outputs" / "test-artifacts" / f"{name}-{stamp}-py{sys.version_info[0]}{sys.version_info[1]}"
    out.mkdir(parents=True)
    return out


@contextlib.contextmanager
def _serve(tmp: Path, artifacts: Path, *extra: str):
    """``run.py demo`` on a free port, isolated from the network where possible; stopped afterwards."""
    _need_browser()
    port = _free_port()
    isolated = _can_isolate()
    cmd = [sys.executable, str(ROOT / "run.py"), "demo", "--port", str(port), *extra]
    if isolated:  # unshare execs in place: the child's pid is the server's, and /proc/pid/ns/net its network
        cmd = ["unshare", "--net", "--", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", *cmd]
    log = (artifacts / "server.log").open("w")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOLARA_", "SME_CLASS"))}
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
            chromium = tmp / "chromium-in-namespace"
            chromium.write_text(f'#!/bin/sh\nexec nsenter --net=/proc/{proc.pid}/ns/net {CHROMIUM} "$@"\n')
            chromium.chmod(0o755)
        yield {"url": url, "pid": proc.pid, "isolated": isolated, "chromium": str(chromium),
               "log": artifacts / "server.log", "artifacts": artifacts}
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


class Browser:
    """Chromium with every request off 127.0.0.1 refused and recorded, and page errors recorded."""

    def __init__(self, server: dict, pw) -> None:
        self.server, self.outside, self.failed, self.errors = server, [], [], []
        self.browser = pw.chromium.launch(executable_path=server["chromium"], args=FLAGS)

    def guard(self, route) -> None:
        host = urlparse(route.request.url).hostname
        if host != "127.0.0.1" and not route.request.url.startswith(("data:", "blob:")):
            self.outside.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    def page(self, path: str = "", width: int = 1280, height: int = 720):
        context = self.browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True)
        page = context.new_page()
        page.route("**/*", self.guard)
        page.on("response", lambda r: self.failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.goto(self.server["url"] + path, timeout=60_000)
        return page

    def check_clean(self) -> None:
        assert self.outside == [], f"requests left this machine: {self.outside}"
        assert self.failed == [], f"failed requests (an asset missing offline?): {self.failed}"
        assert self.errors == [], f"errors in the page: {self.errors}"
        assert "Traceback" not in self.server["log"].read_text(), self.server["log"].read_text()[-3000:]


@pytest.fixture(scope="module")
def classroom(tmp_path_factory):
    artifacts = _artifacts("browser")
    with _serve(tmp_path_factory.mktemp("demo"), artifacts) as server:
        yield server
    (artifacts / "isolation.txt").write_text("network namespace with loopback only\n" if server["isolated"]
                                             else "no namespace (not root): off-loopback requests blocked\n")


@pytest.fixture
def chromium(classroom):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = Browser(classroom, pw)
        try:
            yield b
        finally:
            b.browser.close()
    b.check_clean()


def _quarter(page) -> int:
    text = page.locator(".sme-monitor", has_text="Quarter").locator(".value").inner_text()
    return int(text.split("/")[0])


def _wait_quarter(page, quarter: int, timeout: float = 30_000) -> None:
    from playwright.sync_api import expect

    expect(page.locator(".sme-monitor", has_text="Quarter").locator(".value")).to_have_text(
        re.compile(rf"^{quarter}/\d+$"), timeout=timeout)
    page.wait_for_function(  # every chart has drawn that quarter (its stamp is model:quarter:ghosts)
        "q => Array.from(document.querySelectorAll('.sme-chart[data-chart]')).every("
        "e => (e.dataset.drawn || '').split(':')[1] === String(q))", arg=quarter, timeout=timeout)


def _ready(page) -> None:
    from playwright.sync_api import expect

    expect(page.get_by_role("button", name="Reset")).to_be_visible(timeout=60_000)
    page.wait_for_function(DRAWN, arg=CHARTS, timeout=60_000)


def _slide(page, lever: str, presses: int, key: str = "ArrowRight") -> None:
    slider = page.locator(f".sme-slider-{lever} [role=slider]")
    slider.focus()
    for _ in range(presses):
        page.keyboard.press(key)
        page.wait_for_timeout(250)  # a hand's pace: each move reaches the server


def test_reset_keeps_the_lesson_reference_and_moved_levers(chromium, classroom):
    from playwright.sync_api import expect

    h1 = next(x for x in load_lessons() if x.hypothesis == "H1")
    page = chromium.page("?lesson=h1")
    _ready(page)
    expect(page.get_by_text(h1.title)).to_be_visible()
    score = page.locator(".sme-monitor.sme-score")  # exporting that lasts leads the monitors
    expect(score).to_contain_text("exporter-years")
    expect(score).to_contain_text("lasting entrants")
    live, ref = load(h1.scenario), load(h1.reference)
    expect(page.get_by_text(f"Live: {live.title}, seed 1. Dashed line: {ref.title}.")).to_be_visible()
    _slide(page, "coordination", 4)  # before the first quarter: the run is rebuilt at once
    expect(page.get_by_text(re.compile(r"National-local coordination \(0-1\): 0\.1 to 0\.\d"))).to_be_visible(
        timeout=30_000)
    for quarter in (1, 2, 3):
        page.get_by_role("button", name="Step").click()
        _wait_quarter(page, quarter)
    page.get_by_role("button", name="Reset").click()
    _wait_quarter(page, 0)
    # The lesson's live scenario and reference, with the lever still moved, and the first run kept
    expect(page.get_by_text(f"Live: {live.title}, seed 1. Dashed line: {ref.title}.")).to_be_visible()
    expect(page.locator(".sme-card").get_by_text(re.compile(r"National-local coordination \(0-1\): 0\.1 to 0\.\d"))
           ).to_be_visible()
    expect(page.get_by_text(h1.title)).to_be_visible()
    table = page.locator("table.sme-table")
    expect(table.locator("tbody tr")).to_have_count(1)
    assert "National-local coordination" in table.inner_text()
    page.wait_for_function("() => document.querySelector('.sme-chart[data-chart=outcomes]')"
                           ".dataset.drawn.endsWith(':1')")  # one ghost line drawn
    for quarter in (1, 2):
        page.get_by_role("button", name="Step").click()
        _wait_quarter(page, quarter)
    page.get_by_role("button", name="Reset").click()
    expect(table.locator("tbody tr")).to_have_count(2, timeout=30_000)
    with page.expect_download() as download:
        page.get_by_text("Download the runs (CSV)").click()
    csv = Path(download.value.path()).read_text().splitlines()
    assert csv[0].startswith("run,live scenario,moved,seed,quarter,exporter-years,reference exporter-years,gap,"
                             "lasting entrants,reference lasting entrants") and len(csv) == 3
    assert [line.split(",")[0] for line in csv[1:]] == ["1", "2"]
    page.screenshot(path=classroom["artifacts"] / "reset.png", full_page=True)


def test_switching_lesson_while_playing_leaves_working_controls(chromium):
    from playwright.sync_api import expect

    page = chromium.page("?lesson=h1")
    _ready(page)
    page.get_by_role("button", name="Play").click()
    expect(page.get_by_role("button", name="Pause")).to_be_visible(timeout=10_000)
    page.wait_for_function("() => parseInt(document.querySelector('.sme-monitor .value').innerText) >= 2",
                           timeout=30_000)
    h2 = next(x for x in load_lessons() if x.hypothesis == "H2")
    page.get_by_role("button", name="H2", exact=True).click()
    expect(page.get_by_text(h2.title)).to_be_visible(timeout=30_000)
    _wait_quarter(page, 0)
    expect(page.get_by_role("button", name="Play")).to_be_enabled()
    expect(page.get_by_role("button", name="Step")).to_be_enabled()
    page.get_by_role("button", name="Step").click()
    _wait_quarter(page, 1)
    assert "lesson=h2" in page.url


def test_thirty_rapid_steps_lose_nothing(chromium, classroom):
    page = chromium.page("?lesson=h4")
    _ready(page)
    step = page.get_by_role("button", name="Step")
    for _ in range(30):
        step.click(delay=10)  # as fast as Playwright clicks, no waiting for the server
    _wait_quarter(page, 30, timeout=90_000)
    assert _quarter(page) == 30
    body = page.inner_text("body")
    assert "disconnected" not in body and "Could not restore" not in body
    page.screenshot(path=classroom["artifacts"] / "thirty-steps.png")


def test_a_reload_keeps_the_lesson_and_seed(chromium):
    from playwright.sync_api import expect

    h3 = next(x for x in load_lessons() if x.hypothesis == "H3")
    page = chromium.page()
    _ready(page)
    page.get_by_role("button", name="H3", exact=True).click()
    expect(page.get_by_text(h3.title)).to_be_visible(timeout=30_000)
    seed = page.get_by_label("Seed (whole number)")
    seed.fill("5")
    seed.press("Enter")
    page.wait_for_url(re.compile(r"lesson=h3&seed=5"), timeout=30_000)
    page.reload()
    _ready(page)
    expect(page.get_by_text(h3.title)).to_be_visible()
    expect(page.get_by_text(re.compile(r"Live: .*, seed 5\."))).to_be_visible()


def test_the_end_of_a_run_and_twenty_seeds(chromium, classroom):
    from playwright.sync_api import expect

    page = chromium.page("?lesson=liberalization")
    _ready(page)
    page.get_by_role("button", name="Play").click()
    done = page.get_by_text(re.compile(r"The run has finished \(quarter 40 of 40\): the live run has [\d,]+ "
                                       r"exporter-years"))
    expect(done).to_be_visible(timeout=120_000)
    expect(page.get_by_role("button", name="Play")).to_be_disabled()
    expect(page.get_by_role("button", name="Step")).to_be_disabled()
    page.get_by_role("button", name="Run 20 seeds").click()
    expect(page.get_by_text(re.compile(r"Over 20 seeds the live run ends with .* exporter-years .* lasting "
                                       r"entrants"))).to_be_visible(timeout=120_000)
    page.wait_for_function("() => { const c = document.querySelector('.sme-chart[data-chart=seeds]');"
                           " return c && c.dataset.drawn; }", timeout=30_000)
    page.screenshot(path=classroom["artifacts"] / "finished.png", full_page=True)


def test_projector_layout_at_1280_by_720(chromium, classroom):
    from playwright.sync_api import expect

    page = chromium.page("?lesson=h1")
    _ready(page)
    for name in ("Play", "Step", "Reset", "Run 20 seeds"):
        box = page.get_by_role("button", name=name).bounding_box()
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= 720 and box["x"] + box["width"] <= 1280, name
    key = page.locator(".sme-chart[data-chart=outcomes] svg.marks").bounding_box()
    assert key["y"] >= 0 and key["y"] + key["height"] <= 720 and key["x"] + key["width"] <= 1280
    monitors = page.locator(".sme-monitors").bounding_box()
    assert monitors["y"] + monitors["height"] <= 720
    # Every text in every chart, rendered: at least 14 px (SVG text, so the browser can say)
    sizes = page.eval_on_selector_all(".sme-chart svg.marks text", "els => els.filter(e => e.textContent.trim())"
                                      ".map(e => [e.textContent, parseFloat(getComputedStyle(e).fontSize)])")
    assert len(sizes) > 50 and min(size for _, size in sizes) >= 14, sorted(sizes, key=lambda x: x[1])[:5]
    for label in page.locator(".sme-lever").all()[:3]:  # slider values are shown beside their labels
        assert re.search(r": \S+$", label.inner_text())
    card = page.locator(".sme-card")
    assert card.evaluate("e => e.scrollHeight <= e.clientHeight + 1")  # the lesson card is never clipped
    expect(page.get_by_text("This website runs on Solara")).to_be_hidden()
    for internal in ("Render Interval", "Use Threads", "PAGE 0"):
        assert page.get_by_text(internal).count() == 0
    page.screenshot(path=classroom["artifacts"] / "projector.png")
    page.get_by_role("tab", name="Info").click()
    expect(page.get_by_text("THINGS TO TRY")).to_be_visible()


# --- class mode -------------------------------------------------------------------------------

def test_class_mode_three_students_and_the_teacher(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    artifacts = _artifacts("class")
    with _serve(tmp_path, artifacts, "--class", "--lesson", "h1", "--seed", "3") as server:
        log = server["log"].read_text()
        token = re.search(r"teacher\?token=(\S+)", log).group(1)
        with sync_playwright() as pw:
            b = Browser(server, pw)
            try:
                students = []
                for k, nickname in enumerate(("ana", "ben", "chloe")):
                    page = b.page()
                    _ready(page)
                    # levers only: no file path, no scenario loader, no world, no lesson switch
                    assert page.get_by_label("Scenario file (path to a .toml)").count() == 0
                    assert page.get_by_text("Live scenario").count() == 0
                    assert page.get_by_text("The world").count() == 0
                    expect(page.get_by_role("button", name="H2", exact=True)).to_be_disabled()
                    if k:  # less for meso programmes: within the class budget
                        _slide(page, "budget_meso", k, "ArrowLeft")
                    page.get_by_label("Nickname").fill(nickname)
                    page.get_by_role("button", name="Submit my package").click()
                    students.append(page)
                for page, nickname in zip(students, ("ana", "ben", "chloe")):
                    expect(page.get_by_text(f"Submitted as {nickname}")).to_be_visible(timeout=60_000)
                # A student's browser cannot fetch a file off the server
                probes = ("pyproject.toml", "static/..%2F..%2Fpyproject.toml", "_solara/cdn/..%2F..%2Fpyproject.toml",
                          "static/public/..%2F..%2F..%2F..%2Fpyproject.toml", "scenarios/baseline.toml",
                          "static/app/scenarios/baseline.toml")
                for path in probes:
                    status, body = students[0].evaluate(
                        "async p => { const r = await fetch(p); return [r.status, await r.text()]; }", path)
                    assert "[project]" not in body and "[package" not in body, (path, status)
                b.failed = [f for f in b.failed if not any(p.split("%")[0] in f for p in probes)]

                teacher = b.page("teacher")
                expect(teacher.get_by_text("needs the teacher's token")).to_be_visible(timeout=60_000)
                teacher = b.page("teacher?token=wrong")
                expect(teacher.get_by_text("needs the teacher's token")).to_be_visible(timeout=60_000)
                teacher = b.page(f"teacher?token={token}")
                expect(teacher.get_by_text(re.compile(r"submissions from \d+ students"))).to_be_visible(timeout=60_000)
                table = teacher.locator("table.sme-table")
                expect(table).to_contain_text("ana", timeout=30_000)
                expect(table.locator("tbody tr")).to_have_count(3)
                assert "exporter-years [95% interval]" in table.inner_text()  # ranked by exporting that lasts
                assert all(n in table.inner_text() for n in ("ana", "ben", "chloe"))
                # over the class budget: refused, with both numbers
                _slide(students[0], "budget_meso", 6)
                students[0].get_by_role("button", name="Submit my package").click()
                expect(students[0].get_by_text(re.compile(r"more than the class budget of [\d,]+ kUSD"))).to_be_visible(
                    timeout=60_000)
                teacher.get_by_role("button", name=re.compile(r"^Replay ana")).click()
                teacher.wait_for_function(DRAWN, arg=1, timeout=60_000)
                expect(teacher.get_by_role("button", name="Step")).to_be_visible()
                teacher.screenshot(path=artifacts / "teacher.png", full_page=True)
            finally:
                b.browser.close()
        b.check_clean()

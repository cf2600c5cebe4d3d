"""The classroom app's threads: the play loop against the page's reads, errors in handlers, the 20-seed cap.

The page reads the live run's tables while the play loop steps it in another
thread; these tests step a tab's run (built as the app builds it) as fast as
possible while another thread reads everything the page reads, through the
functions the page's components call, with the interpreter switching threads
every microsecond. Then: an error in any event handler is one line without a
server path, and no more than ``state.SEED_RUNS`` "Run 20 seeds" batches run
at once in the whole server.
"""

from __future__ import annotations

import ast
import contextlib
import logging
import sys
import threading
import time
from pathlib import Path

import pytest
from helpers import need

state = need("simulation.app.state", "demo")
page = need("simulation.app.page", "demo")

from simulation import class_runs, levers, views  # noqa: E402 - views needs the 'demo' extra too
from simulation.lessons import load_lessons  # noqa: E402
from simulation.scenario import ScenarioError  # noqa: E402

APP = Path(state.__file__).parent
TIMEOUT = 120  # seconds: generous, only so a deadlock fails instead of hanging the run
SMALL = {"n_smes": 100}  # a small world: many quarters and Resets in a few seconds


@pytest.fixture
def tab():
    """A fresh tab: the app's state with a small lesson run built, as the page's first render builds it."""
    def clear() -> None:
        state.playing.value = False
        state.model.value, state.snapshot.value, state.history.value = None, None, ()
        state.seed_result.value, state.seeds_busy.value, state.seeds_waiting.value = None, False, False
        state.notice.value, state.problem.value = "", ""

    clear()
    h1 = next(x for x in load_lessons() if x.hypothesis == "H1")
    setup = state.lesson_setup(h1, "1")
    state.ensure(lambda: state.Setup(setup.scenario, setup.reference, setup.lesson, {**setup.levers, **SMALL}, "1"))
    yield state
    clear()


@contextlib.contextmanager
def switching_often():
    """Threads switch every microsecond: a race that a default 5 ms slice hides shows within seconds."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


class Stepper(threading.Thread):
    """The play loop's work: a quarter at a time, and a Reset at the horizon (which archives the run).

    ``quarters``: stop after that many, with a Reset (None: until told); ``pause``: seconds between quarters.
    """

    def __init__(self, quarters: int | None = None, pause: float = 0.0) -> None:
        super().__init__(daemon=True)
        self.limit, self.pause = quarters, pause
        self.stop, self.errors, self.quarters = threading.Event(), [], 0

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                if self.limit is not None and self.quarters >= self.limit:
                    state.start()
                    return
                if state.step():
                    self.quarters += 1
                    self.stop.wait(self.pause)
                    continue
                if len(state.history.value) >= 3:  # enough grey lines: start over without piling up history
                    state.history.value = ()
                state.start()
        except Exception as err:  # reported by the test, in the main thread
            self.errors.append(err)


def table_reads() -> int:
    """Every table the page draws from, read as the page reads them (``state.shown()``); returns the quarter."""
    live = state.shown()
    ts, regions, net = live.timeseries(), live.regions_now(), live.network()
    assert len(ts) == live.t + 1 and int(ts["step"].iloc[-1]) == live.t
    assert len(regions) > 0 and (regions["step"] == live.t).all()
    assert len(net.sme_xy) == len(net.sme_stage) and len(live.reference_ts) == live.horizon + 1
    for record in state.history.value:
        assert len(record.timeseries) == record.quarter + 1
    return live.t


def page_reads() -> None:
    """What the components compute from those tables: monitors, the end message, every chart, the runs table."""
    live = state.shown()
    m = class_runs.monitors(live)
    assert m.quarter == live.t
    class_runs.end_message(live)
    data = views.datasets(live, state.ghosts())
    assert set(data) == set(views.CHARTS)
    class_runs.table(state.history.value)
    page.score_html(m)


def test_the_pages_reads_never_see_a_quarter_half_recorded(tab):
    stepper = Stepper()
    seen, errors = set(), []
    with switching_often():
        stepper.start()
        try:
            for k in range(3000):
                seen.add(table_reads())
                if k % 100 == 0:
                    page_reads()
        except Exception as err:
            errors.append(err)
        finally:
            stepper.stop.set()
            stepper.join(TIMEOUT)
    assert not stepper.is_alive(), "the stepping thread is stuck"
    assert errors == [] and stepper.errors == [], (errors, stepper.errors)
    assert stepper.quarters > 40 and len(seen) > 10  # the reads did overlap many quarters, and a Reset


def test_renders_in_two_threads_at_once_neither_fail_nor_deadlock(tab, monkeypatch):
    """The real components, rendered: each quarter renders them in the stepping thread (under the model's
    lock) unless this thread is rendering, which it does over and over, as clicks and other changes would."""
    import solara

    from simulation.app import Model

    drawn: list[tuple[str, int]] = []  # (thread, quarter) of each render of the monitors
    monitors = class_runs.monitors

    def spy(live):
        drawn.append((threading.current_thread().name, live.t))
        return monitors(live)

    monkeypatch.setattr(class_runs, "monitors", spy)
    box, rc = solara.render(Model(), handle_error=False)
    # Paced a little like Play, and 15 quarters then a Reset: flat out and without end, the other thread's
    # changes would keep one render here going past Reacton's limit of passes, as no 40-quarter run does.
    stepper = Stepper(quarters=15, pause=0.02)
    errors = []
    try:
        with switching_often():
            stepper.start()
            try:
                while stepper.is_alive():
                    rc.force_update()
                    time.sleep(0.02)
            except Exception as err:
                errors.append(err)
            finally:
                stepper.stop.set()
                stepper.join(TIMEOUT)
        assert not stepper.is_alive(), "deadlock: the stepping thread never finished its quarter"
        assert errors == [] and stepper.errors == [], (errors, stepper.errors)
        rc.force_update()
    finally:
        rc.close()
    assert stepper.quarters == 15 and len(state.history.value) == 1
    assert {q for _, q in drawn} >= {0, 15} and drawn[-1][1] == 0  # drawn as it went, then the Reset's run


def _names(path: Path) -> set[str]:
    """Every ``state.<name>`` a module of the app reads."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)
            and isinstance(n.value, ast.Name) and n.value.id == "state"}


def test_the_page_reads_only_the_snapshot_and_never_waits_for_the_lock():
    for module in ("page.py", "classmode_view.py", "__init__.py"):
        used = _names(APP / module)
        assert "model" not in used and "locked" not in used, module  # the live model is the play loop's


# --- errors in event handlers ---------------------------------------------------------------

PATHLIKE = ("Traceback", 'File "/', '.py"', "/work/", "site-packages")


def _clean(line: str) -> None:
    assert line and "\n" not in line, line
    assert not any(p in line for p in PATHLIKE), line


def test_a_refused_lever_value_is_one_line_and_changes_nothing(tab):
    for _ in range(2):
        state.step()
    before = (state.model.value, state.setup.value, state.history.value, state.shown())
    move = state.guarded(lambda v: state.move_lever("coordination", v))
    for crafted in (1e308, -5, "abc", float("nan"), None, [1], {"a": 1}):
        move(crafted)
        line = state.problem.value
        _clean(line)
        assert line.startswith("That lever value was not used: ") and "'coordination'" in line, line
        assert (state.model.value, state.setup.value, state.history.value, state.shown()) == before
    move(0.5)  # a good value is used (mid-run: at Reset), and the line stays until dismissed
    assert state.problem.value.startswith("That lever value") and state.setup.value.levers["coordination"] == 0.5
    assert "Reset" in state.notice.value


def test_an_unexpected_error_is_the_generic_line_and_logged(tab, caplog):
    def broken() -> None:
        raise RuntimeError(f"boom in {APP / 'state.py'}\nsecond line")

    with caplog.at_level(logging.ERROR, logger=state.__name__):
        state.guarded(broken)()
    assert state.problem.value == state.GENERIC
    _clean(state.problem.value)
    assert "boom in" in caplog.text and "Traceback" in caplog.text  # the server's log keeps the details


def test_a_refused_input_names_no_server_path():
    err = ScenarioError("/srv/app/scenarios/x.toml", "params.a", "must be a number\nmore")
    line = state.one_line(err)
    _clean(line)
    assert line.startswith("That was not used: ") and "(a file on the server)" in line and "srv" not in line
    assert "params.a: must be a number" in line
    assert state.one_line(levers.LeverError("lever 'x' must be in [0, 1], got 5")) == (
        "That lever value was not used: lever 'x' must be in [0, 1], got 5")
    # Not an input check: a bug somewhere below, said generically (and logged with its traceback).
    for err in (KeyError("/srv/x"), ValueError("All arrays must be of the same length")):
        assert state.one_line(err) == state.GENERIC


def test_a_reset_that_fails_keeps_the_run_and_the_runs_so_far(tab):
    state.step()
    live, history, setup = state.model.value, state.history.value, state.setup.value
    state.guarded(state.start)(state.Setup("no_such_scenario_here", seed="1"))
    _clean(state.problem.value)
    assert state.problem.value.startswith("That was not used")
    assert (state.model.value, state.history.value, state.setup.value) == (live, history, setup)
    assert state.shown().t == 1


def test_an_error_while_playing_stops_the_loop_with_one_line(tab, monkeypatch):
    live = state.model.value
    monkeypatch.setattr(live, "step", lambda: (_ for _ in ()).throw(RuntimeError("engine broke")))
    state.playing.value = True
    state.play_loop(threading.Event())
    assert state.playing.value is False and state.problem.value == state.GENERIC
    assert state.model.value is live and state.shown().t == 0


# --- "Run 20 seeds": at most SEED_RUNS at once, server-wide --------------------------------

def test_no_more_than_two_seed_runs_at_once():
    assert state.SEED_RUNS == 2
    inside, most, guard = [0], [0], threading.Lock()
    release, queued = threading.Event(), threading.Event()

    def job() -> str:
        with guard:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        release.wait(TIMEOUT)  # a slow batch: holds its slot until the test lets go
        with guard:
            inside[0] -= 1
        return "done"

    results = []
    threads = [threading.Thread(target=lambda: results.append(
        state.in_seed_slot(job, lambda w: queued.set() if w else None))) for _ in range(6)]
    for t in threads:
        t.start()
    assert queued.wait(TIMEOUT)  # the third and later runs wait their turn...
    with guard:
        assert inside[0] <= state.SEED_RUNS
    release.set()  # ...and all run once slots free up
    for t in threads:
        t.join(TIMEOUT)
    assert results == ["done"] * 6 and most[0] == state.SEED_RUNS


def test_a_queued_seed_run_says_it_waits_and_gives_up_when_its_tab_goes(tab, monkeypatch):
    entered, release = threading.Semaphore(0), threading.Event()

    def hold() -> None:  # another tab's batch, holding a slot until the test lets go
        entered.release()
        release.wait(TIMEOUT)

    holders = [threading.Thread(target=state.in_seed_slot, args=(hold,)) for _ in range(state.SEED_RUNS)]
    gaps = class_runs.SeedGaps((1,), {"exporter_years": (1.0,)}, {"exporter_years": (0.0,)}, 40)
    monkeypatch.setattr(class_runs, "seed_gaps", lambda live: gaps)
    monkeypatch.setattr(state, "SLOT_POLL", 0.01)
    waiting: list[bool] = []
    unsubscribe = state.seeds_waiting.subscribe(waiting.append)
    try:
        for t in holders:
            t.start()
        for _ in holders:
            assert entered.acquire(timeout=TIMEOUT)  # every slot of the server is taken
        gone = threading.Event()
        gone.set()
        state.run_seeds(gone)  # its tab closed while it was queued: no run, no verdict
        assert state.seed_result.value is None and not state.seeds_busy.value and waiting == [True, False]
        waiting.clear()
        runner = threading.Thread(target=state.run_seeds, args=(threading.Event(),))
        runner.start()
        for _ in range(int(TIMEOUT / 0.01)):
            if waiting:
                break
            threading.Event().wait(0.01)
        assert waiting == [True] and state.seed_result.value is None  # queued, and the page says so
        assert state.WAITING.startswith("Waiting for another class member's 20-seed run")
        release.set()
        runner.join(TIMEOUT)
        assert state.seed_result.value is gaps and waiting == [True, False] and not state.seeds_busy.value
    finally:
        unsubscribe()
        release.set()
        for t in holders:
            t.join(TIMEOUT)

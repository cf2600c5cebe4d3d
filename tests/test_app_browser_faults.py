"""The classroom app in a real browser, sent values no control would send: one friendly line, never a traceback.

A student's browser can send the server anything a widget carries, whatever
the slider shows. These tests send it: out-of-range numbers (1e308, -5), a
word, NaN (which the browser sends as null) and a list to a lever's slider,
and a word to a checkbox, the way the page's own widgets send a value (the
Vuetify component's ``input`` event, which ipyvuetify forwards to the
server). The page must then show the refusal as one line under the controls,
keep the run and the runs so far, and show no traceback or server path.

The server and browser are set up as in ``test_app_browser.py`` (Debian's
Chromium through Playwright, no network); skipped likewise when Chromium or
Playwright (the ``test-full`` extra) is missing, unless ``SME_REQUIRE_BROWSER=1``.
"""

from __future__ import annotations

import re

import pytest
from test_app_browser import Browser, _artifacts, _ready, _serve, _wait_quarter

pytestmark = pytest.mark.browser

# What Solara's error page, or a leaked exception, would put on the page.
LEAKS = ("Traceback", 'File "/', '.py"', "Error:", "site-packages", "/work/")
REFUSED = "That lever value was not used: "

# The widget's own way to the server: the Vuetify component listening for its v-model event, which
# ipyvuetify forwards to the server (``input`` for a slider, ``change`` for a checkbox).
SEND = """([selector, value, event]) => {
  const root = document.querySelector(selector);
  const find = x => { if (!x) return null; if (x.$listeners && x.$listeners[event]) return x;
                      for (const c of x.$children || []) { const f = find(c); if (f) return f; } return null; };
  const target = find(root.__vue__);
  if (!target) throw new Error('no widget listens for ' + event + ' under ' + selector);
  target.$emit(event, value);
}"""
SLIDER = ".sme-slider-coordination .v-input__slider"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with _serve(tmp_path_factory.mktemp("demo"), _artifacts("browser-faults")) as running:
        yield running


@pytest.fixture
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = Browser(server, pw)
        try:
            yield b
        finally:
            b.browser.close()
    b.check_clean()  # nothing off this machine, no page errors, no traceback in the server's log


def _no_leak(page) -> None:
    text = page.inner_text("body")
    assert not [leak for leak in LEAKS if leak in text], text[:3000]


def _problem(page):
    return page.locator(".sme-problem")


def test_crafted_lever_values_are_one_friendly_line(browser, server):
    from playwright.sync_api import expect

    page = browser.page("?lesson=h1")
    _ready(page)
    for quarter in (1, 2):  # a run under way, and one run kept in the runs so far
        page.get_by_role("button", name="Step").click()
        _wait_quarter(page, quarter)
    page.get_by_role("button", name="Reset").click()
    _wait_quarter(page, 0)
    page.get_by_role("button", name="Step").click()
    _wait_quarter(page, 1)
    runs = page.locator("table.sme-table tbody tr")
    expect(runs).to_have_count(1)

    for crafted in (1e308, -5, "abc", float("nan"), [1, 2]):
        page.evaluate(SEND, [SLIDER, crafted, "input"])
        line = _problem(page)
        expect(line).to_contain_text(re.compile(rf"^{re.escape(REFUSED)}.*'coordination'"), timeout=30_000)
        text = line.locator(".v-alert").inner_text().strip()
        assert text.startswith(REFUSED) and "\n" not in text, text  # one line (and a button to dismiss it)
        _no_leak(page)
        line.get_by_role("button", name="OK").click()
        expect(line).to_have_count(0, timeout=30_000)
    # The run on screen and the runs so far are untouched: still quarter 1, still one earlier run.
    expect(page.locator(".sme-monitor", has_text="Quarter").locator(".value")).to_have_text("1/40")
    expect(runs).to_have_count(1)
    page.get_by_role("button", name="Step").click()  # and the controls still answer
    _wait_quarter(page, 2)
    _no_leak(page)
    page.screenshot(path=server["artifacts"] / "refused.png", full_page=True)


def test_a_word_sent_to_a_checkbox_is_refused_too(browser):
    from playwright.sync_api import expect

    page = browser.page("?lesson=h1")
    _ready(page)
    box = page.locator(".v-input--checkbox").first
    box.evaluate("e => e.classList.add('sme-crafted')")
    page.evaluate(SEND, [".sme-crafted", "abc", "change"])
    expect(_problem(page)).to_contain_text(re.compile(r"^That lever value was not used: .*true or false"),
                                           timeout=30_000)
    _no_leak(page)
    page.get_by_role("button", name="Step").click()
    _wait_quarter(page, 1)

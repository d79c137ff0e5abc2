"""pytest hooks for the whole suite (test helpers live in tests/support.py).

In CI (the environment variable CI is set, as `.ci/run` runs) a skipped test
fails the run: CI runs everything and skips nothing.
"""

from __future__ import annotations

import os

import pytest

_skipped: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _skipped and os.environ.get("CI") and session.exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if _skipped and os.environ.get("CI"):
        terminalreporter.write_line(
            f"CI: {len(_skipped)} test(s) skipped, and CI skips nothing: the run fails "
            f"(first: {_skipped[0]})", red=True,
        )


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium through playwright, one per test module (the browser tests' shared fixture)."""
    from playwright import sync_api

    from support import CHROMIUM_ARGS, find_chromium

    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_ARGS)
        yield launched
        launched.close()

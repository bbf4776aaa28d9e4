"""Fixtures for the browser tests: one JupyterLab server (the published repository after postBuild, which
also serves Notebook 7) and one headless Chromium per test session.

Without Chromium (or playwright) the tests skip with the reason; with ``DLWEEK8_REQUIRE_BROWSER=1``
(set by ``.ci/run``) they fail instead, so CI can never pass without running them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

import labdriver

ARTIFACTS = Path(os.environ.get("DLWEEK8_ARTIFACTS", labdriver.ROOT / "artifacts"))


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_available() -> None:
    reason = labdriver.browser_missing_reason()
    if reason is None:
        return
    if os.environ.get("DLWEEK8_REQUIRE_BROWSER") == "1":
        pytest.fail(f"DLWEEK8_REQUIRE_BROWSER=1 but the browser tests cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def lab_server(browser_available, binder_build):
    """The published student repository as Binder serves it: a copy of the checkout after its postBuild,
    served by the Binder venv's python, so every kernel imports the dlweek8 that postBuild installed
    (and no dlweek8.instructor). One server for JupyterLab and Notebook 7; stopped (only its own PID)
    at the end."""
    jupyter = Path(sys.prefix)  # the venv reaches jupyterlab, notebook and ipywidgets through its .pth line;
    env = binder_build.env(  # their lab extensions, static assets and server-extension config live here
        JUPYTER_PATH=str(jupyter / "share" / "jupyter"), JUPYTER_CONFIG_PATH=str(jupyter / "etc" / "jupyter"))
    server = labdriver.JupyterLabServer(binder_build.checkout, subfolder="notebooks", python=binder_build.python, env=env)
    try:
        published = sorted(p.name for p in server.served("").glob("*.ipynb"))
        expected = sorted(p.name for p in labdriver.notebook_dir().glob("*.ipynb"))
        assert published == expected, f"the published notebooks {published} are not the ones under test {expected}"
    except BaseException:
        server.stop()
        raise
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser(browser_available):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = labdriver.launch_browser(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def browser_context(browser):
    """One context for all notebooks, so JupyterLab's scripts load from cache after the first page."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context
    context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """Folder for screenshots (git-ignored ``artifacts/screenshots``; DLWEEK8_ARTIFACTS moves it)."""
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder

"""Drive JupyterLab in headless Chromium: a throw-away server, the browser, and page helpers.

Used by the browser tests (``conftest.py``) and by ``benchmarks/bench_browser.py``.
Selectors and waits are the ones that proved stable here (see the project's browser notes).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
CHROMIUM = os.environ.get("DLWEEK8_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
#: User settings that leave notebooks untouched. (No news prompt setting here: the course's own
#: lab-settings/dlweek8.json, installed into the environment, must keep it away, as it does for students.)
SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    # Every cell stays in the DOM, so off-screen widgets can be found and measured.
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}

#: JupyterLab's notification toasts (its "official Jupyter news?" prompt among them).
TOASTS = ".Toastify__toast"


def news_prompts(page) -> list[str]:
    """The toasts that ask about Jupyter news or announce updates: none when the course's settings are installed."""
    return [text for text in page.locator(TOASTS).all_inner_texts() if "Jupyter news" in text or "update" in text.lower()]


#: The notebook on show (another tab's notebook stays in the DOM, hidden); JupyterLab and Notebook 7.
NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden)"
#: JS expression: the kernel is idle. JupyterLab says "| Idle" in its status bar; Notebook 7 has no
#: status bar and says "Kernel status: Idle" in the notebook's execution indicator.
KERNEL_IDLE_JS = """(() => {
    const bar = document.querySelector('#jp-main-statusbar');
    if (bar) return bar.textContent.includes('| Idle');
    const indicator = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator');
    return !!indicator && indicator.textContent.includes('Idle');
})()"""
#: JupyterLab renders tracebacks and stderr streams alike with this MIME type.
STDERR_OUTPUT = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
#: Stderr lines that are not the notebook's fault (a fresh MPLCONFIGDIR builds its cache once).
BENIGN_STDERR = ("Matplotlib is building the font cache",)


def notebook_dir() -> Path:
    """The notebook folder under test: ``notebooks/``, or DLWEEK8_NOTEBOOKS when set."""
    return Path(os.environ.get("DLWEEK8_NOTEBOOKS", NOTEBOOKS))


def browser_missing_reason() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not Path(CHROMIUM).exists():
        return f"Chromium not found at {CHROMIUM} (install Debian's chromium package; .ci/run does)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Python package playwright is not installed (pip install -e .[test])"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class JupyterLabServer:
    """JupyterLab (and, with the ``notebook`` package, Notebook 7) on 127.0.0.1 with a free port, no token,
    and every folder in a temporary directory.

    ``folder`` (default: :func:`notebook_dir`) is copied into the temporary folder and served from
    there, so the original is never rewritten; ``subfolder`` is where its notebooks are inside it.
    ``python`` runs the server, and so its kernels (a kernel spec's ``python`` is the server's); ``env``
    is the environment to start from (default: this one, with the project first on PYTHONPATH);
    ``settings`` replaces :data:`SETTINGS` (the user settings written before the server starts).
    :meth:`stop` ends only the server process this object started.
    """

    def __init__(self, folder: Path | None = None, subfolder: str = "", python: str = sys.executable,
                 env: dict | None = None, startup_timeout: float = 60.0, settings: dict | None = None):
        folder = folder or notebook_dir()
        self.tmp = Path(tempfile.mkdtemp(prefix="dlweek8-lab-"))
        self.root = self.tmp / folder.name
        self.subfolder = subfolder.strip("/")
        shutil.copytree(folder, self.root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.tmp / "server.log"
        if env is None:
            env = dict(os.environ)
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        env = dict(env)
        for name, sub in [
            ("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"), ("JUPYTER_RUNTIME_DIR", "runtime"),
            ("JUPYTERLAB_SETTINGS_DIR", "settings"), ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
            ("MPLCONFIGDIR", "mpl"), ("IPYTHONDIR", "ipython"),
        ]:
            env[name] = str(self.tmp / sub)
            (self.tmp / sub).mkdir()
        for rel, value in (SETTINGS if settings is None else settings).items():
            target = self.tmp / "settings" / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(value))
        args = [
            python, "-m", "jupyterlab", "--no-browser", f"--port={self.port}", "--ip=127.0.0.1",
            "--ServerApp.token=", "--ServerApp.password=", "--ServerApp.port_retries=0",
            "--LabApp.news_url=", f"--ServerApp.root_dir={self.root}",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.append("--allow-root")
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            args, cwd=self.root, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self._wait_ready(startup_timeout)

    def path(self, name: str) -> str:
        """A notebook's path as the server names it (relative to its root)."""
        return f"{self.subfolder}/{name}" if self.subfolder else name

    def served(self, name: str) -> Path:
        """The file the server serves for a notebook."""
        return self.root / self.path(name)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with code {self.process.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/status", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"JupyterLab did not answer within {timeout:.0f} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        """Stop the server we started (it shuts its kernels down), then remove the temporary folder."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # the server shuts its kernels down, then exits
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self._log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def launch_browser(playwright):
    """Headless Debian Chromium with the flags that work on these machines (never a download)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


# -- page helpers -------------------------------------------------------------------------------


def open_notebook(page, server: JupyterLabServer, name: str, timeout_ms: int = 90_000) -> None:
    """Open a notebook alone in a fresh workspace and wait until its kernel is idle (``| Idle``)."""
    workspace = "".join(c if c.isalnum() else "-" for c in name)
    page.goto(f"{server.url}/lab/workspaces/{workspace}/tree/{server.path(name)}?reset")
    page.wait_for_function(
        "() => (document.querySelector('#jp-main-statusbar')?.textContent || '').includes('| Idle')",
        timeout=timeout_ms,
    )


def run_all(page, timeout_ms: int = 180_000) -> None:
    """Run > Run All Cells, then wait until no cell is queued and every code cell ran or one failed."""
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    run_all_finished(page, timeout_ms)


def run_all_finished(page, timeout_ms: int = 180_000) -> None:
    """Wait until the kernel is idle, no cell is queued, and every code cell ran or one failed."""
    page.wait_for_function(
        """(stderrSelector) => {
            const prompts = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt')]
                .map(p => p.textContent.trim());
            if (!__IDLE__ || prompts.some(p => p.includes('*'))) return false;
            const done = prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p));
            return done || document.querySelector(stderrSelector) !== null;
        }""".replace("__IDLE__", KERNEL_IDLE_JS),
        arg=STDERR_OUTPUT,
        timeout=timeout_ms,
        polling=100,
    )


def cell_problems(page) -> list[str]:
    """Errors shown in the notebook: error outputs, unexpected stderr, widgets that failed to render,
    and code cells that never ran."""
    return page.evaluate(
        """([stderrSel, benign]) => {
            const problems = [];
            const cells = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell')];
            cells.forEach((cell, index) => {
                const where = `cell ${index + 1}`;
                for (const out of cell.querySelectorAll(stderrSel)) {
                    const text = out.textContent.trim();
                    const last = text.split('\\n').slice(-1)[0];
                    if (!benign.some(b => text.startsWith(b))) problems.push(`${where}: error or stderr: ${last.slice(0, 300)}`);
                }
                if (/Error displaying widget|Failed to load model/.test(cell.textContent))
                    problems.push(`${where}: a widget failed to render`);
                const prompt = cell.querySelector('.jp-InputPrompt');
                if (cell.classList.contains('jp-CodeCell') && prompt && !/\\[\\d+\\]/.test(prompt.textContent))
                    problems.push(`${where}: did not run (prompt ${prompt.textContent.trim() || 'empty'})`);
            });
            return problems;
        }""",
        [STDERR_OUTPUT, list(BENIGN_STDERR)],
    )


def explorers(page):
    """Output areas that hold at least one slider: one locator per explorer, in notebook order."""
    return page.locator(f"{NOTEBOOK} .jp-Cell .jp-OutputArea").filter(has=page.locator(".widget-slider")).all()


#: JS: what an explorer shows apart from its sliders (figure images, text outside sliders).
_STATE_JS = """(area) => {
    const figures = [...area.querySelectorAll('img')].map(img => img.src);
    const texts = [...area.querySelectorAll('.widget-html, .widget-label, .widget-htmlmath, .widget-readout, .jp-RenderedText, .jp-RenderedHTMLCommon')]
        .filter(el => !el.closest('.widget-slider'))
        .map(el => el.textContent);
    return JSON.stringify([figures, texts]);
}"""


def explorer_state(area) -> str:
    return area.evaluate(_STATE_JS)


def wait_state_change(area, before: str, timeout_ms: int = 15_000) -> bool:
    """Wait until the explorer shows something else than ``before``; False on time-out."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        area.page.wait_for_function(
            f"([area, before]) => ({_STATE_JS})(area) !== before",
            arg=[area.element_handle(), before],
            timeout=timeout_ms,
            polling="raf",
        )
    except PlaywrightTimeout:
        return False
    return True


def settle(area, quiet_ms: int = 150, timeout_ms: int = 15_000) -> None:
    """Wait until the kernel is idle, the explorer's images have loaded and nothing changed for ``quiet_ms``,
    so that a late redraw is never credited to the next slider."""
    area.page.wait_for_function(
        """([area, quietMs]) => {
            const state = __STATE__;
            const idle = __IDLE__;
            const loaded = [...area.querySelectorAll('img')].every(img => img.complete);
            const now = state(area);
            if (!idle || !loaded || now !== window.__dlweek8Last) {
                window.__dlweek8Last = now;
                window.__dlweek8Since = performance.now();
                return false;
            }
            return performance.now() - window.__dlweek8Since >= quietMs;
        }""".replace("__STATE__", _STATE_JS).replace("__IDLE__", KERNEL_IDLE_JS),
        arg=[area.element_handle(), quiet_ms],
        timeout=timeout_ms,
        polling="raf",
    )


def broken_figures(page) -> int:
    """How many figure images in the notebook have no decoded picture."""
    return page.evaluate(
        """() => [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .dlweek8-figure img')]
            .filter(img => img.complete && img.naturalWidth === 0 && img.src).length"""
    )


#: An explorer that asks for a prediction first keeps its sliders disabled until one is checked.
PREDICTION_BUTTON = "Check my prediction"


def locked(area) -> bool:
    return area.locator(".widget-slider [disabled], .widget-slider.mod-disabled").count() > 0


def plain_tool(area, keyboard: bool = False) -> None:
    """Answer the explorer's first prediction (as a student must), then switch on free exploration, so every
    slider move shows its figure (a predict-first explorer hides the count again on every new setting)."""
    unlock(area, keyboard=keyboard)
    free_exploration(area, keyboard=keyboard)


def unlock(area, keyboard: bool = False, timeout_ms: int = 15_000) -> None:
    """If the explorer asks for a prediction first, choose its first option and check it, then wait
    until the sliders are enabled.  ``keyboard``: only focus() and keys (Space, Enter), no clicks."""
    button = area.locator("button", has_text=PREDICTION_BUTTON)
    if not button.count() or not locked(area):
        return
    option = area.locator(".widget-radio-box input[type=radio]").first
    if keyboard:
        option.focus()
        area.page.keyboard.press("Space")
        button.first.focus()
        area.page.keyboard.press("Enter")
    else:
        option.check()
        button.first.click()
    area.page.wait_for_function("(area) => !area.querySelector('.widget-slider [disabled], .widget-slider.mod-disabled')",
                                arg=area.element_handle(), timeout=timeout_ms)


def free_exploration(area, timeout_ms: int = 15_000, keyboard: bool = False) -> bool:
    """Switch on the explorer's "free exploration" (everything shown, no predictions asked), if it has one;
    True if it has. Waits until the sliders are enabled. ``keyboard``: focus() and Space, no click."""
    switch = area.locator(".widget-checkbox", has_text="free exploration").locator("input[type=checkbox]")
    if not switch.count():
        return False
    if not switch.first.is_checked():
        if keyboard:
            switch.first.focus()
            area.page.keyboard.press("Space")
        else:
            switch.first.check()
    area.page.wait_for_function("(area) => !area.querySelector('.widget-slider [disabled], .widget-slider.mod-disabled')",
                                arg=area.element_handle(), timeout=timeout_ms)
    return True


def slider_handles(area):
    return area.locator(".widget-slider .noUi-handle").all()


def nudge(handle) -> str:
    """Move a slider one step (right, or left when it sits at its maximum); return the key pressed."""
    now, top = handle.get_attribute("aria-valuenow"), handle.get_attribute("aria-valuemax")
    key = "ArrowLeft" if now is not None and top is not None and float(now) >= float(top) else "ArrowRight"
    handle.focus()
    handle.press(key)
    return key


def answer_boxes(page):
    """Every answer widget (``.dlweek8-answer``), in notebook order."""
    return page.locator(f"{NOTEBOOK} .dlweek8-answer").all()


def question_class(box) -> str:
    """The ``dlweek8-q-...`` class of an answer box."""
    classes = (box.get_attribute("class") or "").split()
    return next(c for c in classes if c.startswith("dlweek8-q-"))


def shown_question(box, base):
    """The question an answer box shows: ``base``, or the variant it switched to (from its seed and number)."""
    from urllib.parse import unquote

    from dlweek8.widgets.answers import variant_shown

    classes = (box.get_attribute("class") or "").split()
    seed = unquote(next((c[len("dlweek8-seed-"):] for c in classes if c.startswith("dlweek8-seed-")), "0"))
    found = re.search(r"\(variant (\d+)\)", box.inner_text())
    return variant_shown(base, seed, int(found.group(1))) if found else base


def wait_new_inputs(box, timeout: float = 15_000) -> None:
    """Wait until a box's text inputs are the fresh, blank ones of a new variant (not the old, filled ones)."""
    box.page.wait_for_function(
        "(b) => [...b.querySelectorAll('.widget-text input')].every(i => i.value === '')",
        arg=box.element_handle(), timeout=timeout,
    )


def field_widgets(box):
    """The input widgets of an answer box, in field order (number boxes and radio groups)."""
    return box.locator(".widget-text, .widget-radio").all()


def fill_fields(box, values: list, labels: list) -> None:
    """Type numbers into number boxes and click the option label of radio groups.

    ``labels[i]`` is the option label to click for a radio field, or None for a number field.
    """
    widgets = field_widgets(box)
    assert len(widgets) == len(values), f"{len(widgets)} input widgets for {len(values)} values"
    for widget, value, label in zip(widgets, values, labels, strict=True):
        if label is None:
            entry = widget.locator("input")
            entry.fill(repr(value) if isinstance(value, float) else str(value))
            entry.press("Enter")
        else:
            widget.locator(".widget-radio-box").get_by_label(label, exact=True).check()


def type_into_focused_input(page, element, text: str, refocus: bool = False, timeout_ms: int = 10_000) -> None:
    """Keys only: wait until ``element`` (a text input) has the focus, empty it (End, then Backspace per
    character), type ``text``, and wait until the input holds exactly ``text``.

    ``refocus``: the focus was put there with ``element.focus()``; if it does not stay there for a few
    frames (the page may move it while activating the cell), focus the element again, up to twice.
    Without it, an input without the focus is a failure (a Tab that did not reach it)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    handle = element.element_handle()

    def wait(step: str, js: str, arg) -> None:
        try:
            page.wait_for_function(js, arg=arg, timeout=timeout_ms)
        except PlaywrightTimeout:
            raise AssertionError(f"typing {text!r}: {step}; the input holds {element.input_value()!r}") from None

    for _ in range(2 if refocus else 0):
        page.evaluate("() => { window.__dlweek8Focused = 0; }")
        try:  # focused, and still focused a few frames later
            page.wait_for_function("""(el) => {
                if (document.activeElement !== el) { window.__dlweek8Focused = 0; return false; }
                return ++window.__dlweek8Focused >= 3;
            }""", arg=handle, timeout=2_000, polling="raf")
            break
        except PlaywrightTimeout:
            element.focus()
    wait("the input does not have the focus", "(el) => document.activeElement === el", handle)
    page.keyboard.press("End")
    for _ in range(len(element.input_value())):
        page.keyboard.press("Backspace")
    wait("Backspace did not empty it", "(el) => el.value === ''", handle)
    page.keyboard.type(text)
    wait("it does not hold what was typed", "([el, text]) => el.value === text", [handle, text])


def wait_kernel_quiet(page, quiet_ms: int = 100, timeout_ms: int = 15_000) -> None:
    """Wait until the kernel has been idle for ``quiet_ms``, so that it has handled what the page sent.

    ipywidgets holds a widget's new value back while an earlier update of that widget is unanswered,
    but sends a button's click at once: a Check clicked right after a radio button could be judged
    with the radio's old value (a CI run under load saw it once)."""
    page.evaluate("() => { window.__dlweek8IdleSince = null; }")
    page.wait_for_function(
        """(quietMs) => {
            if (!__IDLE__) { window.__dlweek8IdleSince = null; return false; }
            if (window.__dlweek8IdleSince === null) window.__dlweek8IdleSince = performance.now();
            return performance.now() - window.__dlweek8IdleSince >= quietMs;
        }""".replace("__IDLE__", KERNEL_IDLE_JS),
        arg=quiet_ms, timeout=timeout_ms, polling=20,
    )


def click_button(box, name: str) -> None:
    box.locator("button", has_text=name).first.click()


def shown_feedback(box) -> str:
    """The feedback an answer box shows: its status class and its text."""
    feedback = box.locator(".dlweek8-feedback")
    if not feedback.count():
        return "no feedback"
    classes = feedback.first.get_attribute("class") or ""
    return f"[{classes}] {feedback.first.inner_text().strip()}"


def wait_feedback(box, status: str, message: str, timeout_ms: int = 20_000) -> None:
    """Wait until the box shows feedback with this status class and this message; AssertionError if not."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    wanted = box.locator(f".dlweek8-feedback.dlweek8-{status} .dlweek8-message").filter(has_text=message)
    try:
        wanted.first.wait_for(timeout=timeout_ms)
    except PlaywrightTimeout:
        raise AssertionError(f"expected {status} feedback {message!r}, the box shows {shown_feedback(box)}") from None


# -- accessibility: themes, axe-core, Notebook 7 ------------------------------------------------------

#: Where our content is: rendered markdown and cell outputs (widgets, figures, feedback).
OUR_CONTENT = ".jp-Cell .jp-OutputArea-output, .jp-Cell .jp-MarkdownOutput"
LIGHT, DARK = "JupyterLab Light", "JupyterLab Dark"


def set_theme(page, theme: str, timeout_ms: int = 30_000) -> None:
    """Settings > Theme > ``theme`` (JupyterLab and Notebook 7), then wait until the page uses it.

    The choice is saved in the server's user settings, so pages opened later get it too."""
    page.keyboard.press("Escape")
    page.get_by_role("menuitem", name="Settings", exact=True).click()
    page.locator(".lm-Menu .lm-Menu-itemLabel", has_text=re.compile(r"^Theme$")).click()
    page.locator(".lm-Menu .lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(theme)}$")).click()
    page.wait_for_function(
        "(theme) => document.body.dataset.jpThemeName === theme", arg=theme, timeout=timeout_ms
    )
    page.wait_for_timeout(300)  # the theme's stylesheet applies on the next frames


def axe_violations(page, rules: list[str] | None = None) -> tuple[list[str], list[str]]:
    """Run axe-core on the whole page; return (ours, chrome): one line per serious or critical
    violating node, split by whether the node lies in our content (:data:`OUR_CONTENT`)."""
    from axe_playwright_python.sync_playwright import Axe

    options = {"resultTypes": ["violations"]}
    if rules:
        options["runOnly"] = {"type": "rule", "values": rules}
    response = Axe().run(page, options=options).response
    ours, chrome = [], []
    for violation in response["violations"]:
        if violation["impact"] not in ("serious", "critical"):
            continue
        for node in violation["nodes"]:
            target = node["target"][-1] if node["target"] else ""
            inside = page.evaluate(
                "([sel, content]) => { const el = document.querySelector(sel); return !!(el && el.closest(content)); }",
                [target if isinstance(target, str) else target[-1], OUR_CONTENT],
            )
            summary = node.get("failureSummary", "").replace("\n", " ")[:200]
            line = f"{violation['impact']} {violation['id']}: {node['html'][:160]} ({summary})"
            (ours if inside else chrome).append(line)
    return ours, chrome


#: The viewport widths the accessibility tests lay the notebook out at (a wide screen, a small laptop).
AXE_WIDTHS = (1400, 1024)

#: JS: elements of our content that scroll sideways (content wider than the box, overflow auto or
#: scroll): a region the keyboard cannot reach unless focusable (axe's scrollable-region-focusable),
#: and a layout that depends on the machine's fonts. A focusable region (tabindex) is allowed.
_SIDEWAYS_JS = """(content) => [...document.querySelectorAll(content)].flatMap(root => [root, ...root.querySelectorAll('*')])
    .filter(el => { const x = getComputedStyle(el).overflowX;
        return (x === 'auto' || x === 'scroll') && el.scrollWidth > el.clientWidth + 1 && !el.hasAttribute('tabindex'); })
    .map(el => `${el.tagName.toLowerCase()}.${[...el.classList].join('.')}: ${el.scrollWidth} px in ${el.clientWidth} px: `
        + (el.closest('.jp-Cell')?.textContent || el.textContent).trim().slice(0, 80))"""


def sideways_scrolling(page) -> list[str]:
    """Elements of our content that scroll sideways at the current viewport (:data:`_SIDEWAYS_JS`)."""
    return page.evaluate(_SIDEWAYS_JS, f"{NOTEBOOK} .jp-OutputArea-output, {NOTEBOOK} .jp-MarkdownOutput")


def at_width(page, width: int) -> None:
    """Lay the page out at ``width`` px (same height), and wait until the layout has settled."""
    page.set_viewport_size({"width": width, "height": page.viewport_size["height"] if page.viewport_size else 900})
    page.wait_for_timeout(400)  # JupyterLab's resize handlers and MathJax's reflow run on the next frames
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def open_in_notebook7(context, server: JupyterLabServer, name: str, timeout_ms: int = 90_000):
    """Notebook 7: open ``/notebooks/<path>`` in a new page, wait until its kernel is idle.

    A notebook already open in JupyterLab keeps its session there: the same kernel."""
    page = context.new_page()
    page.goto(f"{server.url}/notebooks/{server.path(name)}")
    page.wait_for_function(
        """() => {
            const name = document.querySelector('.jp-KernelName')?.textContent || '';
            return /python/i.test(name) && __IDLE__;
        }""".replace("__IDLE__", KERNEL_IDLE_JS),
        timeout=timeout_ms,
    )
    return page


def notebook7_tree_lists(server: JupyterLabServer, timeout: float = 30) -> str:
    """The HTML of Notebook 7's file browser page at the notebooks' folder (``/tree/...``), fetched over
    HTTP: the server has the ``notebook`` extension when it answers with Notebook 7's tree app."""
    with urllib.request.urlopen(f"{server.url}/tree/{server.subfolder}", timeout=timeout) as response:
        return response.read().decode("utf-8", errors="replace")


#: JS: every visible text in our content whose colour has less than WCAG AA contrast with the
#: background it is drawn on (the nearest opaque background up the tree, semi-transparent ones
#: composited over it). 4.5:1, or 3:1 for large text (24 px, or 18.66 px bold); disabled controls
#: are exempt, as in WCAG.
_LOW_CONTRAST_JS = """(content) => {
    const rgba = (text) => { const m = text.match(/[\\d.]+/g).map(Number); return [m[0], m[1], m[2], m.length > 3 ? m[3] : 1]; };
    const over = (top, bottom) => [0, 1, 2].map(i => top[i] * top[3] + bottom[i] * (1 - top[3])).concat([1]);
    const lum = (c) => { const [r, g, b] = c.slice(0, 3).map(v => { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
        return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
    const background = (el) => {
        const layers = [];
        for (let e = el; e; e = e.parentElement) {
            const c = rgba(getComputedStyle(e).backgroundColor);
            if (c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
        }
        let colour = [255, 255, 255, 1];
        for (const layer of layers.reverse()) colour = over(layer, colour);
        return colour;
    };
    const failures = [];
    for (const root of document.querySelectorAll(content)) {
        const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const el = node.parentElement;
            if (!node.textContent.trim() || !el || el.closest('[disabled], .mod-disabled, svg, mjx-assistive-mml')) continue;
            const style = getComputedStyle(el);
            const box = el.getBoundingClientRect();
            if (style.visibility === 'hidden' || style.display === 'none' || box.width === 0 || box.height === 0) continue;
            const back = background(el);
            const fore = over(rgba(style.color), back);
            const [hi, lo] = [lum(fore), lum(back)].sort((a, b) => b - a);
            const ratio = (hi + 0.05) / (lo + 0.05);
            const size = parseFloat(style.fontSize), bold = Number(style.fontWeight) >= 700;
            const needed = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
            if (ratio < needed) failures.push(`${ratio.toFixed(2)}:1 (needs ${needed}) ${style.color} on rgb(${back.slice(0, 3).map(Math.round)}): ${node.textContent.trim().slice(0, 70)}`);
        }
    }
    return [...new Set(failures)];
}"""


def low_contrast_text(page) -> list[str]:
    """Texts in our content (:data:`OUR_CONTENT`) below WCAG AA contrast, as rendered in the current theme."""
    return page.evaluate(_LOW_CONTRAST_JS, f"{NOTEBOOK} .jp-OutputArea-output, {NOTEBOOK} .jp-MarkdownOutput")

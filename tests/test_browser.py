"""End to end in a real browser: JupyterLab + headless Chromium, a widget notebook, a slider moved.

What a student does: open a notebook in JupyterLab, run every cell, drag a slider, see
the plot change. The unit tests call the widgets' callbacks directly; only a browser
shows that the ipywidgets front end and kernel side agree (no "Error displaying widget")
and that the plot really re-renders.

Set-up: JupyterLab on a free localhost port with a random token, a temporary root
folder, and its own settings/config folders (so nothing of the user's leaks in);
Debian's Chromium driven by Playwright for Python (``executable_path``: no browser is
downloaded). The test is skipped only when Chromium or Playwright is missing, with the
reason (it fails instead where $BACKPROP_COURSE_REQUIRE_BROWSER is set, as in CI).
A screenshot of each notebook's widget goes to ``test-artifacts/``.

Notebooks: a small one made here (the neuron explorer of notebook 03), and the course's
own lecture notebooks that have a slider explorer.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
#: lecture notebooks with a slider explorer, tested when present
LECTURES_WITH_SLIDERS = ("01_derivatives_chain_rule", "04_gradient_descent")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_TIMEOUT = 60.0  # seconds for JupyterLab to answer /api/status
RUN_ALL_TIMEOUT = 90.0  # seconds for "Run All Cells" to finish
REDRAW_TIMEOUT = 30.0  # seconds for the plot to change after the slider moved


def find_chromium() -> str | None:
    """Debian's Chromium (or the one named by $BACKPROP_COURSE_CHROMIUM)."""
    candidates = [os.environ.get("BACKPROP_COURSE_CHROMIUM"), "/usr/bin/chromium"]
    candidates += [shutil.which(name) for name in ("chromium", "chromium-browser")]
    for path in candidates:
        if path and os.access(path, os.X_OK):
            return path
    return None


def unavailable(reason: str) -> None:
    """Skip the module, or fail it where the browser test must run (CI sets $BACKPROP_COURSE_REQUIRE_BROWSER)."""
    if os.environ.get("BACKPROP_COURSE_REQUIRE_BROWSER"):
        pytest.fail(f"{reason}; $BACKPROP_COURSE_REQUIRE_BROWSER is set, so this is an error", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


CHROMIUM = find_chromium()
if CHROMIUM is None:
    unavailable(
        "Chromium not found (/usr/bin/chromium; on Debian/Ubuntu: apt-get install -y chromium, "
        "or set BACKPROP_COURSE_CHROMIUM)"
    )
try:
    from playwright import sync_api
except ImportError:
    unavailable('Playwright for Python is not installed (python -m pip install -e ".[test]")')


def wait_until(condition: Callable[[], object], timeout: float, what: str, interval: float = 0.25) -> object:
    """Poll ``condition`` until it returns something truthy; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def small_widget_notebook() -> nbformat.NotebookNode:
    """A notebook of our own: set-up as the lectures do it, then one explorer with sliders."""
    v4 = nbformat.v4
    nb = v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.cells = [
        v4.new_markdown_cell("# Browser test: the neuron explorer"),
        v4.new_code_cell(
            "%matplotlib inline\nfrom IPython.display import display\n\nfrom backprop_course import widgets"
        ),
        v4.new_code_cell("display(widgets.neuron_explorer())"),
        v4.new_code_cell("print('done')"),
    ]
    return nb


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Iterator[dict]:
    """A JupyterLab server on localhost with a temporary root holding the notebooks under test."""
    try:
        import jupyterlab  # noqa: F401
    except ImportError:
        pytest.fail('JupyterLab is not installed but Playwright is: python -m pip install -e ".[test]"')
    base = tmp_path_factory.mktemp("jupyterlab")
    root = base / "root"
    root.mkdir()
    nbformat.write(small_widget_notebook(), root / "widget_fixture.ipynb")
    for name in LECTURES_WITH_SLIDERS:
        source = ROOT / "notebooks" / f"{name}.ipynb"
        if source.exists():
            shutil.copy(source, root / source.name)
    # JupyterLab settings: no "get news?" toast, and every cell kept in the page (no windowing)
    settings = base / "settings"
    for plugin, values in {
        "@jupyterlab/apputils-extension/notification": {"fetchNews": "false"},
        "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    }.items():
        target = settings / f"{plugin}.jupyterlab-settings"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "MPLBACKEND"))}
    env.update(
        JUPYTER_CONFIG_DIR=str(base / "config"),
        JUPYTER_DATA_DIR=str(base / "data"),
        JUPYTER_RUNTIME_DIR=str(base / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(base / "workspaces"),
    )
    port, token = free_port(), secrets.token_hex(16)
    command = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.token={token}",
        f"--ServerApp.root_dir={root}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers and CI often run as root
        command.append("--allow-root")
    log_path = base / "jupyterlab.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=root)
    url = f"http://127.0.0.1:{port}"

    def log_tail() -> str:
        return "\n".join(log_path.read_text(errors="replace").splitlines()[-30:])

    def answering() -> bool:
        if server.poll() is not None:
            pytest.fail(f"JupyterLab exited with code {server.returncode}:\n{log_tail()}")
        try:
            with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    try:
        wait_until(answering, SERVER_START_TIMEOUT, "JupyterLab to start")
        yield {"url": url, "token": token, "root": root, "log_tail": log_tail}
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _notebooks_under_test() -> list[str]:
    present = [name for name in LECTURES_WITH_SLIDERS if (ROOT / "notebooks" / f"{name}.ipynb").exists()]
    return ["widget_fixture", *present]


def shut_down_kernels(lab: dict) -> None:
    """Stop the kernels the page started (closing a tab leaves them running), through the REST API."""
    headers = {"Authorization": f"token {lab['token']}"}
    with urllib.request.urlopen(urllib.request.Request(f"{lab['url']}/api/kernels", headers=headers), timeout=10) as r:
        kernels = json.load(r)
    for kernel in kernels:
        request = urllib.request.Request(f"{lab['url']}/api/kernels/{kernel['id']}", headers=headers, method="DELETE")
        urllib.request.urlopen(request, timeout=30).close()


def kernel_status(page) -> str:
    """The kernel state the status bar shows ("Idle", "Busy", "Starting", ...)."""
    text = page.locator("#jp-main-statusbar").inner_text()
    for line in text.splitlines():
        if " | " in line:
            return line.rsplit(" | ", 1)[1].strip()
    return ""


def click_menu(page, menu: str, item: str) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text=menu).first.click()
    page.locator(".lm-Menu-itemLabel", has_text=item).first.click()


def problems_on_page(page) -> list[str]:
    """Widget rendering errors and Python tracebacks visible in the notebook."""
    found = []
    if page.get_by_text("Error displaying widget").count():
        found.append('"Error displaying widget"')
    for output in page.locator(".jp-OutputArea-output").all():
        text = output.inner_text()
        if "Traceback" in text or output.get_attribute("data-mime-type") == "application/vnd.jupyter.error":
            found.append("traceback in an output:\n" + text[:2000])
    return found


@pytest.mark.parametrize("name", _notebooks_under_test())
def test_widget_notebook_runs_and_its_plot_follows_the_slider(lab, browser, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(30_000)
    try:
        # a workspace of its own, reset, so that only this notebook is open
        page.goto(f"{lab['url']}/lab/workspaces/{name}/tree/{name}.ipynb?reset&token={lab['token']}")
        page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=60_000)
        assert page.locator(".jp-NotebookPanel").count() == 1
        wait_until(lambda: kernel_status(page) == "Idle", 60, "the kernel to start (status bar: Idle)")
        code_cells = page.locator(".jp-NotebookPanel .jp-CodeCell")
        n_code = code_cells.count()
        assert n_code >= 2

        # start from a clean page, so every output below comes from this run
        click_menu(page, "Edit", "Clear Outputs of All Cells")
        wait_until(lambda: page.locator(".jp-NotebookPanel .jp-OutputArea-output").count() == 0, 10, "cleared")
        click_menu(page, "Run", "Run All Cells")

        def finished() -> bool:
            prompts = [p.strip() for p in code_cells.locator(".jp-InputArea-prompt").all_inner_texts()]
            numbered = [p for p in prompts if p.strip("[]: ").isdigit()]
            return len(numbered) == n_code and kernel_status(page) == "Idle"

        wait_until(finished, RUN_ALL_TIMEOUT, f"all {n_code} code cells to run", interval=0.5)
        assert problems_on_page(page) == []

        # the first interactive explorer with a slider and a plot
        explorer = page.locator(".widget-interact", has=page.locator(".widget-slider")).first
        explorer.wait_for(state="visible")
        explorer.scroll_into_view_if_needed()
        image = explorer.locator(".widget-output img").first
        image.wait_for(state="visible")
        before = image.get_attribute("src")
        assert before and before.startswith("data:image/png;base64,")
        slider = explorer.locator(".widget-slider").first
        readout = slider.locator(".widget-readout")
        value_before = readout.inner_text()

        # move it with the keyboard, as a user can: ipywidgets 8 (noUiSlider) and 7 (jQuery UI) handles
        handle = slider.locator(".noUi-handle, .ui-slider-handle").first
        handle.focus()
        for key in ("ArrowRight", "ArrowLeft"):  # left if it starts at its maximum
            for _ in range(3):
                handle.press(key)
            try:
                page.wait_for_function(
                    "([el, old]) => el.innerText !== old", arg=[readout.element_handle(), value_before], timeout=5000
                )
                break
            except sync_api.TimeoutError:
                continue
        assert readout.inner_text() != value_before, "the slider did not move with the arrow keys"

        def redrawn() -> bool:
            problems = problems_on_page(page)
            assert problems == [], "after moving the slider"
            src = explorer.locator(".widget-output img").first
            return src.count() == 1 and src.get_attribute("src") not in (None, before)

        wait_until(redrawn, REDRAW_TIMEOUT, f"the plot to change after moving the slider from {value_before}")
        wait_until(lambda: kernel_status(page) == "Idle", 30, "the kernel to go idle after redrawing")
        assert problems_on_page(page) == []
        explorer.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / f"browser-{name}.png"))
    except BaseException:
        page.screenshot(path=str(ARTIFACTS / f"browser-{name}-FAILED.png"))
        print("JupyterLab log (last lines):\n" + lab["log_tail"]())
        raise
    finally:
        page.close()
        shut_down_kernels(lab)

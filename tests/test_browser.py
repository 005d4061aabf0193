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

Notebooks: small ones made here (the neuron explorer of notebook 03, the backward-pass
stepper, the live playground), and the course's own lecture notebooks that have a slider
explorer. The stepper is clicked through to the end and the gradients it shows are compared
with ``backward()``; the playground is played for two seconds (the loss it shows must fall,
the frames that reach the page are counted) and paused (training must stop). Frame rates are
not asserted here: ``benchmarks/widgets.py --browser`` measures them.

The set-up (:func:`running_lab`, :func:`chromium`, :func:`open_and_run`) is shared with that benchmark.
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
from contextlib import contextmanager
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


def _notebook(title: str, *cells: str) -> nbformat.NotebookNode:
    """A notebook of our own: a title, the set-up as the lectures do it, then ``cells``."""
    v4 = nbformat.v4
    nb = v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.cells = [
        v4.new_markdown_cell(f"# Browser test: {title}"),
        v4.new_code_cell(
            "%matplotlib inline\nfrom IPython.display import display\n\nfrom backprop_course import Value, widgets"
        ),
        *(v4.new_code_cell(cell) for cell in cells),
        v4.new_code_cell("print('done')"),
    ]
    return nb


def small_widget_notebook() -> nbformat.NotebookNode:
    """One explorer with sliders."""
    return _notebook("the neuron explorer", "display(widgets.neuron_explorer())")


#: the graph of the stepper notebook, L = tanh((a*b + c) * f) + d: a reused node (d) and fan-out
STEPPER_GRAPH = """\
a, b, c, f = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c"), Value(-0.2, label="f")
e = a * b
e.label = "e"
d = e + c
d.label = "d"
t = (d * f).tanh()
t.label = "t"
L = t + d
L.label = "L"
"""


def stepper_notebook() -> nbformat.NotebookNode:
    return _notebook("the backward-pass stepper", STEPPER_GRAPH + "display(widgets.backward_stepper(L))")


def playground_notebook() -> nbformat.NotebookNode:
    return _notebook("the live playground", "display(widgets.playground(dataset='circles', units=4))")


#: notebooks made here: name -> builder
OWN_NOTEBOOKS: dict[str, Callable[[], nbformat.NotebookNode]] = {
    "widget_fixture": small_widget_notebook,
    "stepper_fixture": stepper_notebook,
    "playground_fixture": playground_notebook,
}


@contextmanager
def running_lab(notebooks: dict[str, nbformat.NotebookNode], lectures: tuple[str, ...] = ()) -> Iterator[dict]:
    """A JupyterLab server on localhost with a temporary root holding ``notebooks`` (and copies of ``lectures``)."""
    try:
        import jupyterlab  # noqa: F401
    except ImportError:
        pytest.fail('JupyterLab is not installed but Playwright is: python -m pip install -e ".[test]"')
    import tempfile

    with tempfile.TemporaryDirectory(prefix="jupyterlab-") as tmp:
        base = Path(tmp)
        root = base / "root"
        root.mkdir()
        for name, nb in notebooks.items():
            nbformat.write(nb, root / f"{name}.ipynb")
        for name in lectures:
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


@contextmanager
def chromium() -> Iterator[object]:
    """Debian's Chromium, headless, driven by Playwright."""
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def lab() -> Iterator[dict]:
    with running_lab({name: build() for name, build in OWN_NOTEBOOKS.items()}, LECTURES_WITH_SLIDERS) as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as running:
        yield running


def _notebooks_under_test() -> list[str]:
    """The slider test's notebooks: ours, then the lectures present."""
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


def open_and_run(lab: dict, browser, name: str):
    """Open notebook ``name`` alone in JupyterLab, clear its outputs, Run All, wait until done; return the page."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(30_000)
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
    return page


@contextmanager
def notebook_page(lab: dict, browser, name: str) -> Iterator[object]:
    """:func:`open_and_run`, a screenshot ``test-artifacts/browser-NAME.png`` at the end (``-FAILED`` on failure)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page = None
    try:
        page = open_and_run(lab, browser, name)
        yield page
        page.screenshot(path=str(ARTIFACTS / f"browser-{name}.png"))
    except BaseException:
        if page is not None:
            page.screenshot(path=str(ARTIFACTS / f"browser-{name}-FAILED.png"))
        print("JupyterLab log (last lines):\n" + lab["log_tail"]())
        raise
    finally:
        if page is not None:
            page.close()
        shut_down_kernels(lab)


def watch_image(page, image) -> None:
    """Count the changes of ``image``'s ``src`` in the page (each is a new frame): ``window.bcFrames``."""
    image.evaluate(
        """img => {
            window.bcFrames = 0;
            const count = () => { window.bcFrames += 1; };
            new MutationObserver(count).observe(img, {attributes: true, attributeFilter: ['src']});
        }"""
    )


@pytest.mark.parametrize("name", _notebooks_under_test())
def test_widget_notebook_runs_and_its_plot_follows_the_slider(lab, browser, name):
    with notebook_page(lab, browser, name) as page:
        # the first explorer with a slider and a picture
        explorer = page.locator(".backprop-course-explorer", has=page.locator(".widget-slider")).first
        explorer.wait_for(state="visible")
        explorer.scroll_into_view_if_needed()
        image = explorer.locator("img").last
        image.wait_for(state="visible")
        before = image.get_attribute("src")
        assert before
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
            return image.get_attribute("src") not in (None, before)

        wait_until(redrawn, REDRAW_TIMEOUT, f"the plot to change after moving the slider from {value_before}")
        wait_until(lambda: kernel_status(page) == "Idle", 30, "the kernel to go idle after redrawing")
        assert problems_on_page(page) == []
        explorer.scroll_into_view_if_needed()


def expected_stepper_grads() -> dict[str, float]:
    """The grads ``backward()`` gives on the stepper notebook's graph, computed here, in the test's own process."""
    from backprop_course import Value

    scope: dict[str, object] = {"Value": Value}
    exec(STEPPER_GRAPH, scope)
    L = scope["L"]
    L.backward()  # type: ignore[attr-defined]
    return {name: scope[name].grad for name in ("a", "b", "c", "f", "e", "d", "t", "L")}  # type: ignore[attr-defined]


def test_the_stepper_clicked_to_the_end_shows_the_grads_of_backward(lab, browser):
    with notebook_page(lab, browser, "stepper_fixture") as page:
        stepper = page.locator(".backprop-course-stepper").first
        stepper.wait_for(state="visible")
        stepper.scroll_into_view_if_needed()
        text = stepper.locator(".bc-stepper-text")
        image = stepper.locator("img").last
        assert "grads: " in text.inner_text() and "a = ?" in text.inner_text()
        next_button = stepper.locator("button.bc-next")
        seen_plus_equals = False
        for rule in range(1, 6):  # five interior nodes: e, d, d*f, t, L
            src, shown = image.get_attribute("src"), text.inner_text()
            next_button.click()
            wait_until(
                lambda shown=shown, src=src: text.inner_text() != shown and image.get_attribute("src") != src,
                REDRAW_TIMEOUT,
                f"rule {rule} to be drawn",
            )
            assert f"rule {rule}:" in text.inner_text()
            seen_plus_equals |= "+=" in text.inner_text()
        assert seen_plus_equals, "d is used twice: its second gradient must be added with +="
        line = text.inner_text().split("grads: ")[1].strip()
        shown = {name: float(value) for name, value in (part.split(" = ") for part in line.split(", "))}
        expected = expected_stepper_grads()
        for name, grad in expected.items():
            assert shown[name] == pytest.approx(grad, rel=1e-5, abs=1e-9), name
        next_button.click()  # past the end: nothing changes
        time.sleep(0.5)
        assert text.inner_text().split("grads: ")[1].strip() == line
        assert problems_on_page(page) == []


def playground_numbers(box) -> tuple[int, float, int]:
    """The steps, the loss and the frames the playground's status line shows."""
    return (
        int(box.locator(".bc-step-count").inner_text()),
        float(box.locator(".bc-loss").inner_text()),
        int(box.locator(".bc-frames").inner_text()),
    )


def play_button(box):
    """The playground's Play/Pause toggle."""
    return box.locator("button.bc-play")


def count_playground_frames(page, seconds: float) -> int:
    """Press Play on the page's playground, count the frames that reach the page in ``seconds``, press Pause."""
    box = page.locator(".backprop-course-playground").first
    box.scroll_into_view_if_needed()
    watch_image(page, box.locator("img").last)
    play_button(box).click()
    time.sleep(seconds)
    frames = int(page.evaluate("window.bcFrames"))
    play_button(box).click()  # pause
    return frames


def test_the_playground_trains_while_playing_and_stops_when_paused(lab, browser):
    with notebook_page(lab, browser, "playground_fixture") as page:
        box = page.locator(".backprop-course-playground").first
        box.wait_for(state="visible")
        box.scroll_into_view_if_needed()
        steps0, loss0, frames0 = playground_numbers(box)
        assert steps0 == 0
        watch_image(page, box.locator("img").last)
        play_button(box).click()
        time.sleep(2.0)
        steps1, loss1, frames1 = playground_numbers(box)
        page_frames = int(page.evaluate("window.bcFrames"))
        print(f"2 s of Play: {steps1} steps, loss {loss0:.4f} -> {loss1:.4f}, {page_frames} frames reached the page")
        assert steps1 > 0 and frames1 > frames0 and page_frames > 0
        assert loss1 < loss0, "the loss shown did not fall while playing"
        play_button(box).click()  # pause
        time.sleep(0.5)  # the last ticks in flight arrive
        paused = playground_numbers(box)
        time.sleep(1.0)
        assert playground_numbers(box) == paused, "training went on after Pause"
        box.locator(".bc-step button, button.bc-step").first.click()
        wait_until(lambda: playground_numbers(box)[0] == paused[0] + 10, REDRAW_TIMEOUT, "one Step (10 steps)")
        box.locator(".bc-reset button, button.bc-reset").first.click()
        wait_until(lambda: playground_numbers(box)[0] == 0, REDRAW_TIMEOUT, "Reset to step 0")
        assert problems_on_page(page) == []

"""The Player in a real browser: JupyterLab on loopback, headless Debian chromium via Playwright.

Opens a copy of notebooks/quickstart.ipynb, runs all cells, presses play and checks from the
page that the frame counter advances and the picture changes; then presses −1/+1, the arrow
keys, space and "m"/"mark" and reads the counter and the events line. Screenshots are saved to
test-artifacts/player*.png.

Needs: Debian's ``chromium`` (/usr/bin/chromium, or ``POSEKIT_CHROMIUM``; ``make test`` installs it
with apt when run as root) and the [dev] extra (jupyterlab, playwright). Playwright's own browser
download is never used. Without chromium the test skips with a reason, except on CI (``CI`` set),
where it fails.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("POSEKIT_CHROMIUM", "/usr/bin/chromium")
CHROME_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--disable-dev-shm-usage",
]  # fmt: skip

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab serving a scratch folder (notebook copy + data/samples link) on 127.0.0.1."""
    if not Path(CHROMIUM).exists():
        why = (
            f"{CHROMIUM} not found: install Debian's chromium (`sudo apt-get install chromium`, "
            "or `make browser-deps` as root) or point POSEKIT_CHROMIUM at a chromium binary"
        )
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)
    work = tmp_path_factory.mktemp("lab")
    (work / "notebooks").mkdir()
    shutil.copy(ROOT / "notebooks" / "quickstart.ipynb", work / "notebooks" / "quickstart.ipynb")
    (work / "data").mkdir()
    (work / "data" / "samples").symlink_to(ROOT / "data" / "samples")
    home = work / ".home"
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "IPYTHONDIR": str(home / "ipython"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "lab-settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "lab-workspaces"),
    }
    # render every cell (JupyterLab 4 only renders the cells in view by default), no news
    settings = home / "lab-settings" / "@jupyterlab"
    (settings / "notebook-extension").mkdir(parents=True)
    (settings / "notebook-extension" / "tracker.jupyterlab-settings").write_text(
        '{"windowingMode": "none"}'
    )
    (settings / "apputils-extension").mkdir(parents=True)
    (settings / "apputils-extension" / "notification.jupyterlab-settings").write_text(
        '{"fetchNews": "false", "checkForUpdates": false}'
    )
    port, token = _free_port(), secrets.token_hex(16)
    log = open(work / "lab.log", "wb")  # closed in the finally below
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
            f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}",
            "--ServerApp.open_browser=False", "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly",  # no PyPI queries from the server
            *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),
        ],
        cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail("JupyterLab did not start:\n" + (work / "lab.log").read_text()[-3000:])
            time.sleep(0.5)
        yield base, token, work
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_player_plays_in_jupyterlab(lab):
    from playwright.sync_api import sync_playwright

    base, token, _ = lab
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        # Playwright gives every launch a fresh temporary profile (--user-data-dir)
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROME_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        try:
            page.goto(f"{base}/lab/tree/notebooks/quickstart.ipynb?token={token}")
            page.wait_for_selector(".jp-Notebook", timeout=60_000)
            # the kernel is connected and idle (status bar: "Python 3 (ipykernel) | Idle")
            page.wait_for_selector(".jp-StatusBar-TextItem:has-text('| Idle')", timeout=90_000)
            started = "() => [...document.querySelectorAll('.jp-InputPrompt')]"
            started += ".some(e => /\\[(\\*|\\d+)\\]/.test(e.textContent))"
            for _ in range(3):  # a click right after connecting can be lost: check it took
                page.click(".lm-MenuBar-itemLabel:text-is('Run')")
                page.click(".lm-Menu-itemLabel:text-is('Run All Cells')")
                try:
                    page.wait_for_function(started, timeout=15_000)
                    break
                except Exception:
                    page.keyboard.press("Escape")
            counter = page.locator(".posekit-counter").first  # the first Player
            counter.wait_for(timeout=120_000)
            page.wait_for_function(
                "() => (document.querySelector('.posekit-counter')?.textContent || '').startsWith('frame 0 /')",
                timeout=60_000,
            )
            # no cell raised (JupyterLab renders tracebacks as stderr-typed output)
            stderr = page.locator("[data-mime-type='application/vnd.jupyter.stderr']")
            tracebacks = [t for t in stderr.all_text_contents() if "Traceback" in t or "Error" in t]
            assert not tracebacks, tracebacks
            player = page.locator(".posekit-player").first
            player.scroll_into_view_if_needed()
            frame_img = page.locator(".posekit-frame").first

            def picture() -> str:
                # a hash of the displayed pixels (not just the blob URL)
                return frame_img.evaluate(
                    """img => { const c = document.createElement('canvas');
                      c.width = img.naturalWidth; c.height = img.naturalHeight;
                      const g = c.getContext('2d'); g.drawImage(img, 0, 0);
                      const d = g.getImageData(0, 0, c.width, c.height).data;
                      let h = 0; for (let i = 0; i < d.length; i += 7) h = (h * 31 + d[i]) | 0;
                      return c.width + 'x' + c.height + ':' + h; }"""
                )

            text0, pic0 = counter.text_content(), picture()
            assert text0.startswith("frame 0 /")
            page.locator(".posekit-player .widget-play button").first.click()  # play
            page.wait_for_function(
                "() => { const t = document.querySelector('.posekit-counter').textContent;"
                " const n = parseInt(t.split(' ')[1]); return n >= 10; }",
                timeout=30_000,
            )
            text1, pic1 = counter.text_content(), picture()
            slider_value = page.locator(".posekit-player .widget-readout").first.text_content()
            page.screenshot(path=str(ARTIFACTS / "player.png"), full_page=False)
            page.locator(".posekit-player .widget-play button").first.click()  # pause (a toggle)
            assert text1 != text0 and int(text1.split()[1]) >= 10
            assert int(slider_value) >= 10  # the slider (jslinked to play) moved in the browser
            assert pic1 != pic0, "the picture did not change while playing"
            # after pausing, the kernel has caught up: the counter shows the slider's frame
            caught_up = (
                "() => { const t = document.querySelector('.posekit-counter').textContent;"
                " const r = document.querySelector('.posekit-player .widget-readout').textContent;"
                " return parseInt(t.split(' ')[1]) === parseInt(r); }"
            )
            page.wait_for_function(caught_up, timeout=5_000)
            # 4x speed (120 frames/s asked): no backlog builds up in the kernel
            page.locator(".posekit-player .widget-dropdown select").first.select_option(label="4×")
            start = int(counter.text_content().split()[1])
            page.locator(".posekit-player .widget-play button").first.click()  # play
            page.wait_for_timeout(1500)
            page.locator(".posekit-player .widget-play button").first.click()  # pause (a toggle)
            t_pause = time.monotonic()
            page.wait_for_function(caught_up, timeout=5_000)
            lag_s = time.monotonic() - t_pause
            end = int(counter.text_content().split()[1])
            print(f"4x: frames {start}->{end}, caught up {lag_s:.2f} s after pausing")
            assert end > start + 30, (start, end)  # it did play fast
            assert lag_s < 2.0, f"the kernel needed {lag_s:.1f} s to catch up after pausing"

            # step controls, keys and event marking, read from the page's counter
            def frame_no() -> int:
                return int(counter.text_content().split()[1])

            def wait_frame(n: int) -> None:
                page.wait_for_function(
                    "n => parseInt(document.querySelector('.posekit-counter')"
                    ".textContent.split(' ')[1]) === n",
                    arg=n,
                    timeout=5_000,
                )

            f0 = frame_no()
            page.locator(".posekit-player .posekit-next").first.click()
            wait_frame(f0 + 1)
            page.locator(".posekit-player .posekit-next").first.click()
            wait_frame(f0 + 2)
            page.locator(".posekit-player .posekit-prev").first.click()
            wait_frame(f0 + 1)
            frame_img.click()  # the picture gives the player the keyboard
            for _ in range(3):
                page.keyboard.press("ArrowRight")
            wait_frame(f0 + 4)
            page.keyboard.press("ArrowLeft")
            wait_frame(f0 + 3)
            page.keyboard.press("m")  # mark the chosen event at this frame
            page.locator(
                ".posekit-player .posekit-mark button, .posekit-player button.posekit-mark"
            ).first.click()
            page.wait_for_function(
                "() => document.querySelector('.posekit-events').textContent.startsWith('2 marked')",
                timeout=5_000,
            )
            events = page.locator(".posekit-events").first.text_content()
            assert f"heel strike left @ {f0 + 3}" in events, events
            page.keyboard.press(" ")  # space: play
            page.wait_for_function(
                "n => parseInt(document.querySelector('.posekit-counter')"
                ".textContent.split(' ')[1]) >= n",
                arg=f0 + 10,
                timeout=10_000,
            )
            frame_img.click()
            page.keyboard.press(" ")  # space: pause
            page.wait_for_function(caught_up, timeout=5_000)
            paused_at = frame_no()
            page.wait_for_timeout(500)
            assert frame_no() == paused_at, "space did not pause"
            pic_all = picture()
            page.locator(".posekit-player .posekit-preset select").first.select_option("legs")
            page.wait_for_function(
                "() => [...document.querySelectorAll('.posekit-player select[multiple]')[1]"
                ".selectedOptions].map(o => o.textContent).join(',') === "
                "'left_hip,right_hip,left_knee,right_knee,left_ankle,right_ankle'",
                timeout=5_000,
            )
            page.wait_for_timeout(500)
            assert picture() != pic_all, "the legs preset did not change the picture"
            page.screenshot(path=str(ARTIFACTS / "player-controls.png"), full_page=False)
            # the last Player: raw | smoothed over the real Sports2D video, side by side
            video_player = page.locator(".posekit-player").last
            video_player.scroll_into_view_if_needed()
            frames = video_player.locator(".posekit-frame")
            assert frames.count() == 2
            assert (
                video_player.locator(".posekit-counter").text_content().startswith("frame 0 / 229")
            )
            video_player.locator(".widget-play button").first.click()  # play
            page.wait_for_function(
                "() => { const c = [...document.querySelectorAll('.posekit-counter')].pop();"
                " return parseInt(c.textContent.split(' ')[1]) >= 15; }",
                timeout=30_000,
            )
            video_player.locator(".widget-play button").first.click()  # pause
            size = frames.first.evaluate("img => [img.naturalWidth, img.naturalHeight]")
            assert size == [440, 247], size
            page.screenshot(path=str(ARTIFACTS / "player-video.png"), full_page=False)
        except BaseException:
            page.screenshot(path=str(ARTIFACTS / "player-failure.png"), full_page=True)
            raise
        finally:
            browser.close()

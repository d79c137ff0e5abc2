"""Regenerates the README's images with the ``tracegrad`` command line.

    .venv/bin/python docs/images/make_images.py

* ``neuron.svg``    -- ``tracegrad draw`` of one tanh neuron;
* ``stepper.png``   -- a backward frame of ``tracegrad trace``'s HTML stepper,
                       taken with headless Chromium through Playwright (the
                       system's ``chromium``; no browser download);
                       ``stepper.zh.png`` the same frame with ``--lang zh``;
* ``loss_curve.png`` and ``moons_boundary.png`` -- from ``tracegrad train moons``.

Each image stays well under 200 KB.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
NEURON = ["tanh(x1*w1 + x2*w2 + b)", "--set", "x1=2", "x2=0", "w1=-3", "w2=1", "b=6.8813735870195432"]


def tracegrad(*args: str, cwd: Path) -> None:
    subprocess.run([sys.executable, "-m", "nn.app.cli", *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL)


# The neuron's page: 5 forward frames, then backward; 8 clicks show backward step 3 of 5.
STEPS_FORWARD = 8


def screenshot(page_path: Path, target: Path, steps_forward: int = STEPS_FORWARD) -> None:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 960, "height": 660}, device_scale_factor=1)
        page.goto(page_path.as_uri())
        for _ in range(steps_forward):
            page.click("#tg-next")
        page.click("#tg-zoom-fit")
        page.screenshot(path=str(target))
        browser.close()


def main() -> int:
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        tracegrad("draw", *NEURON, "-o", str(HERE / "neuron.svg"), cwd=work)
        tracegrad("trace", *NEURON, "-o", "steps.html", cwd=work)
        screenshot(work / "steps.html", HERE / "stepper.png")
        tracegrad("trace", *NEURON, "--lang", "zh", "-o", "steps.zh.html", cwd=work)
        screenshot(work / "steps.zh.html", HERE / "stepper.zh.png")
        tracegrad("train", "moons", "--out", "moons", "-q", cwd=work)
        shutil.copyfile(work / "moons" / "loss.png", HERE / "loss_curve.png")
        shutil.copyfile(work / "moons" / "boundary.png", HERE / "moons_boundary.png")
    for image in sorted(HERE.glob("*.*")):
        if image.suffix in (".svg", ".png"):
            size = image.stat().st_size
            print(f"{image.name:20} {size / 1024:6.1f} KB")
            assert size < 200 * 1024, f"{image.name} is too large for the README"
    return 0


if __name__ == "__main__":
    sys.exit(main())

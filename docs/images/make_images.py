"""Regenerates the README's images with the ``tracegrad`` command line.

    .venv/bin/python docs/images/make_images.py

* ``neuron.svg``    -- ``tracegrad draw`` of one tanh neuron;
* ``stepper.png``   -- ``tracegrad demo``'s ice-cream stepper page on a 1280x800 laptop, at the
                       third step that adds to the followed output bias; ``stepper.zh.png`` the
                       same with ``--lang zh``;
* ``stepper.projector.png`` -- the same page on a 1024x768 projector, in slide mode (key S);
* ``stepper.handout.png``   -- one printed handout sheet of it (the page under print media);
  ``stepper.projector.zh.png`` and ``stepper.handout.zh.png`` the same in Chinese;
* ``loss_curve.png`` and ``moons_boundary.png`` -- from ``tracegrad train moons``.

Screenshots are taken with headless Chromium through Playwright (the
system's ``chromium``; no browser download). Each image stays well under 200 KB.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
NEURON = ["tanh(x1*w1 + x2*w2 + b)", "--set", "x1=2", "x2=0", "w1=-3", "w2=1", "b=6.8813735870195432"]
FOLLOWED_STEP = 3  # the picture shows the third contribution to the output bias
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run"]


def tracegrad(*args: str, cwd: Path) -> None:
    subprocess.run([sys.executable, "-m", "nn.app.cli", *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL)


def shrink(image: Path) -> None:
    """A screenshot with at most 96 colours (text stays crisp; the file is a third of the size)."""
    from PIL import Image

    with Image.open(image) as picture:
        picture.convert("RGB").quantize(colors=96, dither=Image.Dither.NONE).save(image, optimize=True)


def screenshots(page_path: Path, shots: list[tuple[Path, int, int, str]]) -> None:
    """Each shot: (target, width, height, mode), mode "" (the page), "slides" or "handout"."""
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=LAUNCH_ARGS)
        for target, width, height, mode in shots:
            page = browser.new_page(viewport={"width": width, "height": height}, device_scale_factor=1,
                                    reduced_motion="reduce")
            fragment = {"": "", "slides": "#slides", "handout": "#print-handout"}[mode]
            page.goto(page_path.as_uri() + fragment)
            for _ in range(FOLLOWED_STEP):
                page.keyboard.press("]")
            if mode == "handout":
                page.emulate_media(media="print")
                page.locator("section.tg-sheet").nth(FOLLOWED_STEP).screenshot(path=str(target))
            else:
                page.screenshot(path=str(target))
            shrink(target)
            page.close()
        browser.close()


def main() -> int:
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        tracegrad("draw", *NEURON, "-o", str(HERE / "neuron.svg"), cwd=work)
        tracegrad("demo", "-q", "--out", "walk", cwd=work)
        tracegrad("demo", "-q", "--lang", "zh", "--out", "walk.zh", cwd=work)
        screenshots(work / "walk" / "icecream_stepper.html", [
            (HERE / "stepper.png", 1280, 800, ""),
            (HERE / "stepper.projector.png", 1024, 768, "slides"),
            (HERE / "stepper.handout.png", 640, 900, "handout"),
        ])
        screenshots(work / "walk.zh" / "icecream_stepper.html", [
            (HERE / "stepper.zh.png", 1280, 800, ""),
            (HERE / "stepper.projector.zh.png", 1024, 768, "slides"),
            (HERE / "stepper.handout.zh.png", 640, 900, "handout"),
        ])
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

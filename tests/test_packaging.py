"""The distribution: built without warnings, the wheel carries the package data, the sdist the package only.

The build runs on a copy of the package's files in a temporary folder, so the
checkout gains no ``build/`` or ``egg-info`` folder.
"""

from __future__ import annotations

import email
import os
import pathlib
import shutil
import subprocess
import sys
import tarfile
import zipfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
# What the build reads: the import packages and the files pyproject.toml and MANIFEST.in name.
SOURCES = ("autograd", "nn", "pyproject.toml", "MANIFEST.in", "README.md", "README.zh.md", "LICENSE")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, pathlib.Path, pathlib.Path]:
    """(the build's output, the wheel, the sdist), built from a clean copy of the sources."""
    source = tmp_path_factory.mktemp("source")
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(path, source / name)
    out = tmp_path_factory.mktemp("dist")
    # Byte-compiling off (PYTHONDONTWRITEBYTECODE) makes setuptools warn about itself, not about us.
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    result = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(source)],
        capture_output=True, text=True, env=environment, timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    return output, wheel, sdist


def test_the_build_prints_no_warning(built):
    output, _, _ = built
    warnings = [line for line in output.splitlines() if "warning" in line.lower()]
    assert warnings == []


def test_the_wheel_carries_the_front_end_the_catalogues_and_the_license(built):
    _, wheel, _ = built
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = email.message_from_bytes(archive.read(next(n for n in names if n.endswith("dist-info/METADATA"))))
    for needed in ("autograd/viz/front/stepper.js", "autograd/viz/front/stepper.css", "autograd/py.typed",
                   "nn/py.typed", "autograd/locale/glossary.tsv"):
        assert needed in names
    catalogues = {name for name in names if name.startswith("autograd/locale/zh/LC_MESSAGES/") and name.endswith(".mo")}
    assert {pathlib.PurePosixPath(name).stem for name in catalogues} == {
        path.stem for path in (ROOT / "autograd/locale/zh/LC_MESSAGES").glob("*.mo")}
    assert any(name.endswith("dist-info/licenses/LICENSE") for name in names)
    assert metadata["License-Expression"] == "MIT"
    assert not any(name.startswith("tests/") for name in names)


def test_the_sdist_carries_the_package_and_no_tests(built):
    _, _, sdist = built
    with tarfile.open(sdist) as archive:
        names = [name.split("/", 1)[1] for name in archive.getnames() if "/" in name]
    assert "LICENSE" in names and "README.zh.md" in names
    assert "autograd/viz/front/stepper.js" in names
    # The suite tests a checkout (notebooks, README, generator, Chromium): it is not shipped half.
    assert not [name for name in names if name.startswith("tests")]

"""write_atomically: the one way tracegrad writes files (models, pages, plots)."""

import os
import stat

import pytest

from autograd import write_atomically


def test_writes_text_bytes_and_streams(tmp_path):
    write_atomically(tmp_path / "a.txt", "权重 | { } < >\n")
    write_atomically(tmp_path / "b.bin", b"\x00\x01")
    write_atomically(tmp_path / "c.txt", lambda handle: handle.write("streamed"))
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "权重 | { } < >\n"
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    assert (tmp_path / "c.txt").read_text() == "streamed"


def test_a_crash_mid_write_leaves_the_old_file_whole_and_no_temporary(tmp_path):
    target = tmp_path / "model.json"
    target.write_text("old contents")

    def half_then_crash(handle):
        handle.write("new cont")
        raise RuntimeError("power cut")

    with pytest.raises(RuntimeError, match="power cut"):
        write_atomically(target, half_then_crash)
    assert target.read_text() == "old contents"
    assert os.listdir(tmp_path) == ["model.json"]


def test_a_failed_rename_leaves_the_old_file_whole(tmp_path, monkeypatch):
    target = tmp_path / "page.html"
    target.write_text("old")

    def refuse(source, destination):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        write_atomically(target, "new")
    monkeypatch.undo()
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["page.html"]


def test_existing_permissions_are_kept_and_new_files_follow_the_umask(tmp_path):
    kept = tmp_path / "kept"
    kept.write_text("x")
    kept.chmod(0o600)
    write_atomically(kept, "y")
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    mask = os.umask(0o022)
    try:
        fresh = write_atomically(tmp_path / "fresh", "z")
    finally:
        os.umask(mask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o644


def test_saving_never_changes_the_process_umask_that_other_threads_share(tmp_path, monkeypatch):
    mask = os.umask(0o077)
    try:
        def refused(*args):
            raise AssertionError("os.umask changes the mask of every thread of the process")

        monkeypatch.setattr(os, "umask", refused)
        fresh = write_atomically(tmp_path / "fresh", "z")
        monkeypatch.undo()
    finally:
        os.umask(mask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600  # 0o666 less the umask 0o077, by the system


def test_a_missing_directory_is_an_error_not_a_silent_success(tmp_path):
    with pytest.raises(FileNotFoundError):
        write_atomically(tmp_path / "nowhere" / "file.txt", "text")


@pytest.mark.parametrize("content", [3, None, ["text"]])
def test_content_of_the_wrong_type_is_a_type_error_and_writes_nothing(tmp_path, content):
    with pytest.raises(TypeError, match=f"content must be str or bytes, got {type(content).__name__}"):
        write_atomically(tmp_path / "file.txt", content)
    assert os.listdir(tmp_path) == []


def test_a_path_of_the_wrong_type_is_a_type_error():
    with pytest.raises(TypeError, match="path must be str or PathLike, got int"):
        write_atomically(3, "text")


# --- links, long names, temporary files left behind ---

def test_saving_through_a_symlink_updates_its_target_and_keeps_the_link(tmp_path):
    real = tmp_path / "models" / "model.json"
    real.parent.mkdir()
    real.write_text("old")
    link = tmp_path / "latest.json"
    link.symlink_to(real)
    returned = write_atomically(link, "new")
    assert returned == link and link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text() == "new"
    assert sorted(os.listdir(real.parent)) == ["model.json"] and sorted(os.listdir(tmp_path)) == [
        "latest.json", "models"]


def test_saving_through_a_dangling_symlink_creates_its_target(tmp_path):
    link = tmp_path / "link.json"
    link.symlink_to(tmp_path / "made.json")
    write_atomically(link, "made")
    assert link.is_symlink() and (tmp_path / "made.json").read_text() == "made"


@pytest.mark.parametrize("name", ["m" * 250 + ".json", "n" * 255, "权重" * 42])
def test_a_legal_long_name_works_its_temporary_name_within_the_limit(tmp_path, name):
    assert len(os.fsencode(name)) <= 255
    target = tmp_path / name
    write_atomically(target, "x")
    write_atomically(target, lambda handle: handle.write("y"))
    assert target.read_text() == "y" and os.listdir(tmp_path) == [name]


def finished_process_id():
    """The id of a process that has ended (a temporary file naming it is stale)."""
    import subprocess
    import sys

    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait(timeout=60)
    return process.pid


def temporaries(directory):
    return sorted(name for name in os.listdir(directory) if name.endswith(".tmp"))


def test_the_next_save_clears_temporary_files_left_by_ended_processes(tmp_path):
    from autograd.viz.files import temporary_prefix

    target = tmp_path / "model.json"
    other = tmp_path / "other.json"
    write_atomically(target, "v1")
    prefix = temporary_prefix(target.resolve())
    stale = tmp_path / f"{prefix}{finished_process_id()}-0123456789ab.tmp"
    running = tmp_path / f"{prefix}{os.getpid()}-0123456789ab.tmp"  # a save in progress, elsewhere
    of_another_target = tmp_path / f"{temporary_prefix(other.resolve())}{finished_process_id()}-ab.tmp"
    for path in (stale, running, of_another_target):
        path.write_text("half")
    write_atomically(target, "v2")
    assert target.read_text() == "v2"
    assert temporaries(tmp_path) == sorted([running.name, of_another_target.name])


SIGTERM_WRITER = r"""
import pathlib, sys, time
sys.path.insert(0, {root!r})
from autograd import write_atomically

ready = pathlib.Path({ready!r})

def slow(handle):
    handle.write("half of the new ")
    handle.flush()
    ready.write_text("writing")
    time.sleep(60)
    handle.write("contents")

write_atomically({target!r}, slow)
"""


def test_sigterm_mid_write_removes_the_temporary_and_ends_the_process_by_the_signal(tmp_path):
    import pathlib
    import signal
    import subprocess
    import sys
    import time

    target, ready = tmp_path / "model.json", tmp_path.parent / f"{tmp_path.name}.ready"
    target.write_text("old contents")
    root = str(pathlib.Path(__file__).resolve().parent.parent)
    script = SIGTERM_WRITER.format(root=root, ready=str(ready), target=str(target))
    process = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 60
        while not ready.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ready.exists(), "the writer never started writing"
        assert len(temporaries(tmp_path)) == 1  # mid-write: the temporary is there
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == -signal.SIGTERM
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=60)
    assert target.read_text() == "old contents"
    assert os.listdir(tmp_path) == ["model.json"]


def test_sigterm_handling_is_installed_only_while_writing(tmp_path):
    import signal

    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    seen = []
    write_atomically(tmp_path / "a", lambda handle: seen.append(signal.getsignal(signal.SIGTERM)))
    assert callable(seen[0]) and seen[0] is not signal.SIG_DFL
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL

    def own(signum, frame):
        pass

    previous = signal.signal(signal.SIGTERM, own)
    try:
        write_atomically(tmp_path / "b", lambda handle: seen.append(signal.getsignal(signal.SIGTERM)))
        assert seen[1] is own and signal.getsignal(signal.SIGTERM) is own  # a program's own handler is kept
    finally:
        signal.signal(signal.SIGTERM, previous)

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

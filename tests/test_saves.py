"""Saves replace only regular files: write_atomically, Module.save and export_html refuse a
directory, a device, a FIFO, a socket or a loop of symbolic links, before writing anything.

Safety: every test here that points a save at something that is not a regular file first
makes renames in this process fail loudly (``no_renames``), so that even a broken refusal
cannot replace the FIFO, socket or device; the only device used is /dev/null, through a
link, and it is checked to be a character device still afterwards.
"""

import errno
import os
import socket
import stat

import pytest

import nn
from autograd import Value, export_html, write_atomically
from autograd.viz.files import NotARegularFileError


@pytest.fixture
def no_renames(monkeypatch):
    """Renames fail loudly in this process: a save that is not refused cannot replace anything."""

    def refused(*args, **kwargs):
        raise AssertionError(f"a rename was attempted: {args}")

    monkeypatch.setattr(os, "replace", refused)
    monkeypatch.setattr(os, "rename", refused)


def fifo(path):
    os.mkfifo(path)
    return path


def unix_socket(path, monkeypatch):
    """A Unix socket bound at ``path`` (bound by a short relative name: socket paths are limited to ~100 bytes)."""
    monkeypatch.chdir(path.parent)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path.name)
    return server


def save_with(how, path):
    """Save to ``path`` in one of the ways tracegrad saves; the content must not be made when refused."""
    if how == "write_atomically":
        def content(handle):
            raise AssertionError("the content was asked for: the refusal came too late")
        return write_atomically(path, content)
    if how == "Module.save":
        return nn.MLP(2, [1], seed=0).save(path)
    x, w = Value(2.0, label="x"), Value(-3.0, label="w")
    loss = x * w
    loss.label = "L"
    loss.backward()
    return export_html(loss, path)


SAVES = ["write_atomically", "Module.save", "export_html"]


def leftovers(directory):
    return sorted(name for name in os.listdir(directory) if name.endswith(".tmp"))


@pytest.mark.parametrize("how", SAVES)
@pytest.mark.parametrize("links", [0, 1, 2])
def test_a_fifo_is_refused_directly_or_through_links(tmp_path, no_renames, how, links):
    target = fifo(tmp_path / "pipe.svg")
    path = target
    for index in range(links):
        link = tmp_path / f"link{index}.svg"
        link.symlink_to(path)
        path = link
    with pytest.raises(NotARegularFileError, match="a FIFO") as caught:
        save_with(how, path)
    assert caught.value.filename == str(path) and str(path) in str(caught.value)
    assert isinstance(caught.value, OSError) and isinstance(caught.value, ValueError)
    assert stat.S_ISFIFO(os.lstat(target).st_mode)
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("how", SAVES)
@pytest.mark.parametrize("through_link", [False, True])
def test_a_socket_is_refused(tmp_path, no_renames, monkeypatch, how, through_link):
    server = unix_socket(tmp_path / "s.sock", monkeypatch)
    try:
        path = tmp_path / "s.sock"
        if through_link:
            (tmp_path / "to-socket.json").symlink_to(path)
            path = tmp_path / "to-socket.json"
        with pytest.raises(NotARegularFileError, match="a socket"):
            save_with(how, path)
        assert stat.S_ISSOCK(os.lstat(tmp_path / "s.sock").st_mode)
    finally:
        server.close()
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("how", SAVES)
@pytest.mark.parametrize("through_link", [False, True])
def test_a_directory_is_refused_before_the_content_is_made(tmp_path, no_renames, how, through_link):
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "kept").write_text("kept")
    path = tmp_path / "folder"
    if through_link:
        (tmp_path / "link").symlink_to(path)
        path = tmp_path / "link"
    with pytest.raises(NotARegularFileError, match="a directory") as caught:
        save_with(how, path)
    assert caught.value.errno == errno.EISDIR
    assert (tmp_path / "folder" / "kept").read_text() == "kept"
    assert leftovers(tmp_path) == [] and leftovers(tmp_path / "folder") == []


@pytest.mark.parametrize("how", SAVES)
def test_a_link_to_a_device_is_refused_before_any_write_and_the_device_stays(tmp_path, no_renames, how):
    # The case: as root, MLP(2, [1]).save("out.svg") through a link to /dev/null replaced /dev/null.
    link = tmp_path / "out.svg"
    link.symlink_to("/dev/null")
    with pytest.raises(NotARegularFileError, match=r"a character device \(through symbolic links: /dev/null\)"):
        save_with(how, link)
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert link.is_symlink() and os.readlink(link) == "/dev/null"
    assert os.listdir(tmp_path) == ["out.svg"]


@pytest.mark.parametrize("how", SAVES)
@pytest.mark.parametrize("loop", ["self", "pair", "into a pair"])
def test_a_loop_of_symbolic_links_is_refused_and_the_links_stay(tmp_path, no_renames, how, loop):
    if loop == "self":
        (tmp_path / "a.json").symlink_to("a.json")
    else:
        (tmp_path / "a.json").symlink_to("b.json")
        (tmp_path / "b.json").symlink_to("a.json")
    path = tmp_path / ("c.json" if loop == "into a pair" else "a.json")
    if loop == "into a pair":
        path.symlink_to("a.json")
    before = {name: os.readlink(tmp_path / name) for name in os.listdir(tmp_path)}
    with pytest.raises(NotARegularFileError, match="loop of symbolic links") as caught:
        save_with(how, path)
    assert caught.value.errno == errno.ELOOP and caught.value.filename == str(path)
    assert {name: os.readlink(tmp_path / name) for name in os.listdir(tmp_path)} == before


def test_a_fifo_put_in_place_while_writing_is_still_not_replaced(tmp_path, monkeypatch):
    target = tmp_path / "model.json"

    def content(handle):
        handle.write("new")
        os.mkfifo(target)  # the path changed between the first look and the rename

    with pytest.raises(NotARegularFileError, match="a FIFO"):
        write_atomically(target, content)
    assert stat.S_ISFIFO(os.lstat(target).st_mode)
    assert os.listdir(tmp_path) == ["model.json"]


def test_regular_files_new_files_and_links_to_them_are_still_saved(tmp_path):
    model = nn.MLP(2, [1], seed=0)
    model.save(tmp_path / "new.json")
    (tmp_path / "old.json").write_text("old")
    (tmp_path / "link.json").symlink_to(tmp_path / "old.json")
    model.save(tmp_path / "link.json")
    (tmp_path / "dangling.json").symlink_to(tmp_path / "made.json")
    model.save(tmp_path / "dangling.json")
    for name in ("new.json", "old.json", "made.json"):
        assert nn.load_model(tmp_path / name).state_dict() == model.state_dict()
    assert (tmp_path / "link.json").is_symlink() and (tmp_path / "dangling.json").is_symlink()

"""Storage URIs: listing, reading, atomic writes and errors."""

from __future__ import annotations

import errno
import os
import pkgutil
from pathlib import Path

import pytest

import modelwatch.io as mio
from modelwatch.errors import StorageError
from modelwatch.io import storage


def _touch(path: Path, text: str = "x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_public_names_match_all() -> None:
    modules = {module.name for module in pkgutil.iter_modules(mio.__path__)}  # imported or not, by then
    public = {n for n in dir(mio) if not n.startswith("_")} - modules
    assert public == set(mio.__all__)


def test_list_files_single_file_returns_it(tmp_path: Path) -> None:
    f = _touch(tmp_path / "a.csv")
    assert mio.list_files(str(f)) == [str(f)]


def test_list_files_directory_is_recursive_sorted_and_skips_hidden(tmp_path: Path) -> None:
    _touch(tmp_path / "b.csv")
    _touch(tmp_path / "a" / "z.csv")
    _touch(tmp_path / "_SUCCESS")
    _touch(tmp_path / ".part.crc")
    _touch(tmp_path / "_tmp" / "partial.csv")
    found = mio.list_files(str(tmp_path))
    assert found == [str(tmp_path / "a" / "z.csv"), str(tmp_path / "b.csv")]


def test_list_files_keeps_file_scheme(tmp_path: Path) -> None:
    _touch(tmp_path / "d" / "x.csv")
    assert mio.list_files(f"file://{tmp_path}/d") == [f"file://{tmp_path}/d/x.csv"]


def test_list_files_glob(tmp_path: Path) -> None:
    for name in ("p1.csv", "p2.csv", "p3.json", "_p4.csv"):
        _touch(tmp_path / name)
    assert mio.list_files(str(tmp_path / "p?.csv")) == [str(tmp_path / "p1.csv"), str(tmp_path / "p2.csv")]
    assert mio.list_files(str(tmp_path / "*.csv")) == [str(tmp_path / "p1.csv"), str(tmp_path / "p2.csv")]


def test_list_files_empty_folder_gives_empty_list(tmp_path: Path) -> None:
    assert mio.list_files(str(tmp_path)) == []


@pytest.mark.parametrize("name", ["missing.csv", "missing/", "nothing-*.csv"])
def test_list_files_missing_raises_storage_error_naming_uri(tmp_path: Path, name: str) -> None:
    uri = str(tmp_path / name)
    with pytest.raises(StorageError, match="no such file or directory") as info:
        mio.list_files(uri)
    assert info.value.uri == uri
    assert uri in str(info.value)


def test_unsupported_scheme_is_storage_error() -> None:
    with pytest.raises(StorageError, match="unsupported URI scheme"):
        mio.filesystem("ftp://host/file.csv")


def test_write_then_read_round_trip_creates_parents(tmp_path: Path) -> None:
    uri = str(tmp_path / "deep" / "er" / "out.json")
    mio.write_text(uri, "héllo\n")
    assert mio.read_text(uri) == "héllo\n"
    assert mio.read_bytes(uri) == "héllo\n".encode()
    assert mio.exists(uri)
    with mio.open_input(uri) as stream:
        assert stream.read(2) == b"h\xc3"


def test_write_replaces_existing_file_and_leaves_no_temp_files(tmp_path: Path) -> None:
    uri = str(tmp_path / "out.txt")
    mio.write_text(uri, "old")
    mio.write_bytes(f"file://{uri}", b"new")
    assert Path(uri).read_bytes() == b"new"
    assert os.listdir(tmp_path) == ["out.txt"]


def test_full_disk_is_storage_error_and_keeps_old_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uri = str(tmp_path / "out.txt")
    mio.write_text(uri, "old")

    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(storage.os, "fsync", no_space)
    with pytest.raises(StorageError, match="No space left on device") as info:
        mio.write_text(uri, "new content")
    assert info.value.uri == uri
    assert Path(uri).read_text() == "old"
    assert os.listdir(tmp_path) == ["out.txt"]


def test_permission_denied_is_storage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def denied(*args: object, **kwargs: object) -> None:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(storage.tempfile, "mkstemp", denied)
    uri = str(tmp_path / "x.txt")
    with pytest.raises(StorageError, match="permission denied") as info:
        mio.write_text(uri, "data")
    assert uri in str(info.value)


def test_write_under_a_file_is_storage_error(tmp_path: Path) -> None:
    blocker = _touch(tmp_path / "file")
    with pytest.raises(StorageError, match="cannot write"):
        mio.write_text(str(blocker / "child.txt"), "data")


def test_read_missing_and_directory_are_storage_errors(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="no such file or directory"):
        mio.read_bytes(str(tmp_path / "nope"))
    with pytest.raises(StorageError, match="is a directory"):
        mio.open_input(str(tmp_path))


def test_read_text_invalid_encoding_is_storage_error(tmp_path: Path) -> None:
    path = tmp_path / "latin.txt"
    path.write_bytes(b"caf\xe9")
    with pytest.raises(StorageError, match="cannot decode as utf-8"):
        mio.read_text(str(path))


@pytest.mark.parametrize(
    ("base", "parts", "expected"),
    [
        ("s3://bucket/prefix/", ("a", "/b.json"), "s3://bucket/prefix/a/b.json"),
        ("/data", ("x/", "", "y"), "/data/x/y"),
        ("file:///data/", ("z",), "file:///data/z"),
    ],
)
def test_join_uri(base: str, parts: tuple[str, ...], expected: str) -> None:
    assert mio.join_uri(base, *parts) == expected


def test_exists(tmp_path: Path) -> None:
    assert mio.exists(str(tmp_path))
    assert not mio.exists(str(tmp_path / "nope"))

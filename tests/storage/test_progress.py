"""Large transfers show a progress bar on stderr; small ones and LAMIN_PIPES_PROGRESS=0 don't."""

from __future__ import annotations

from pathlib import Path

import pytest

from lamin_pipes.storage import LocalStore, _local, open_store


@pytest.fixture
def small_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_local, "PROGRESS_THRESHOLD", 1024)


def _source(tmp_path: Path, size: int) -> Path:
    path = tmp_path / "big.bin"
    path.write_bytes(b"x" * size)
    return path


def test_large_copy_shows_a_bar(
    tmp_path: Path, small_threshold: None, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv("LAMIN_PIPES_PROGRESS", "1")
    LocalStore(tmp_path / "store").put_file(_source(tmp_path, 4096), "a/big.bin")
    err = capsys.readouterr().err
    assert "copying" in err
    assert "4.00k" in err


def test_progress_can_be_switched_off(
    tmp_path: Path, small_threshold: None, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv("LAMIN_PIPES_PROGRESS", "0")
    LocalStore(tmp_path / "store").put_file(_source(tmp_path, 4096), "a/big.bin")
    assert "copying" not in capsys.readouterr().err


def test_small_copy_shows_no_bar(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("LAMIN_PIPES_PROGRESS", "1")
    LocalStore(tmp_path / "store").put_file(_source(tmp_path, 4096), "a/big.bin")
    assert "copying" not in capsys.readouterr().err


def test_large_s3_download_shows_a_bar(
    tmp_path: Path,
    s3_root: str,
    small_threshold: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys,
) -> None:
    monkeypatch.setenv("LAMIN_PIPES_PROGRESS", "1")
    store = open_store(s3_root)
    store.put_file(_source(tmp_path, 4096), "big.bin")
    capsys.readouterr()
    store.download("big.bin", tmp_path / "copy.bin")
    assert "downloading" in capsys.readouterr().err
    assert (tmp_path / "copy.bin").read_bytes() == b"x" * 4096

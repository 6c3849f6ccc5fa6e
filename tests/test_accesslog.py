"""The local access log: `case show` and `case edit` append hash-chained, PII-free lines;
`saiken access-log verify` finds a removed, altered or (against a noted head) truncated line."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import RecordsRepo
from evidence_story import make_repo

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def _repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[RecordsRepo, bytes]:
    repo = make_repo(tmp_path_factory.mktemp("accesslog"))
    repo.saiken("case", "show", "C-TEST0001", check=True)
    repo.saiken("case", "edit", "C-TEST0001", env={"EDITOR": "true", "VISUAL": ""})
    repo.saiken("case", "show", "C-TEST0001", "--format", "json", check=True)
    return repo, (repo.root / ".saiken" / "access.log").read_bytes()


@pytest.fixture
def logged(_repo: tuple[RecordsRepo, bytes]) -> tuple[RecordsRepo, Path]:
    """The repository with its three-line log as first written (each test tampers with its own copy)."""
    repo, original = _repo
    log = repo.root / ".saiken" / "access.log"
    log.write_bytes(original)
    return repo, log


def test_show_and_edit_are_logged_without_personal_data(logged: tuple[RecordsRepo, Path]) -> None:
    repo, log = logged
    lines = log.read_text(encoding="utf-8").splitlines()
    assert [line.split("\t")[1:4] for line in lines] == [["otsu-01", "C-TEST0001", "show"],
                                                         ["otsu-01", "C-TEST0001", "edit"],
                                                         ["otsu-01", "C-TEST0001", "show"]]
    assert lines[0].split("\t")[4] == "0" * 64
    assert "一郎" not in log.read_text(encoding="utf-8")
    assert oct(log.stat().st_mode & 0o777) == "0o600"
    assert repo.git("status", "--porcelain", "--", ".saiken") == ""  # git-ignored by default
    assert repo.git("status", "--porcelain", "--ignored", "--", ".saiken") == "!! .saiken/\n"
    r = repo.saiken("access-log", "verify")
    assert r.returncode == 0 and "3 行" in r.stdout


def test_altered_line_is_found(logged: tuple[RecordsRepo, Path]) -> None:
    repo, log = logged
    log.write_text(log.read_text(encoding="utf-8").replace("\tedit\t", "\tshow\t"), encoding="utf-8")
    r = repo.saiken("access-log", "verify")
    assert r.returncode == 1 and "改ざんされています" in r.stderr and "3 行目" in r.stderr


def test_removed_line_is_found(logged: tuple[RecordsRepo, Path]) -> None:
    repo, log = logged
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    log.write_text(lines[0] + lines[2], encoding="utf-8")
    r = repo.saiken("access-log", "verify")
    assert r.returncode == 1 and "2 行目: 直前の行のハッシュと一致しません" in r.stderr


def test_truncated_tail_is_found_against_the_noted_head(logged: tuple[RecordsRepo, Path]) -> None:
    repo, log = logged
    head = repo.saiken("access-log", "verify", check=True).stdout.split("ハッシュ ")[1].split("）")[0]
    log.write_text("".join(log.read_text(encoding="utf-8").splitlines(keepends=True)[:2]), encoding="utf-8")
    assert repo.saiken("access-log", "verify").returncode == 0  # alone, a shorter log looks whole
    r = repo.saiken("access-log", "verify", "--head", head)
    assert r.returncode == 1 and "末尾の行が削除された" in r.stderr

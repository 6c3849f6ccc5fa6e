"""Which receipt entries a pushed commit adds (checks.receipt_pusher), in a real git repository:
an entry counts for the commit that adds it – in none of its parents –, so a merge that brings a
side branch's receipts adds none, a merge that writes one of its own adds it, and a file that
cannot be read as receipts is refused. The end-to-end refusal over SSH is in test_server."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from saiken.checks import receipt_pusher
from saiken.git import gitio

A, B, C = "1" * 40, "2" * 40, "3" * 40  # handover commit ids as `ledger receive` writes them


def _git(root: Path, *args: str) -> str:
    env = {"GIT_AUTHOR_NAME": "架空 otsu-01", "GIT_AUTHOR_EMAIL": "otsu-01@example.invalid",
           "GIT_COMMITTER_NAME": "架空 otsu-01", "GIT_COMMITTER_EMAIL": "otsu-01@example.invalid",
           "HOME": str(root), "PATH": "/usr/bin:/bin", "GIT_CONFIG_NOSYSTEM": "1"}
    return subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True, text=True).stdout.strip()


def _receipts(root: Path, *entries: tuple[str, str], raw: str | None = None) -> str:
    path = root / "ledger" / "receipts.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(raw if raw is not None else "receipts:\n" + "".join(
        f"  - commit: {c}\n    receiver: {r}\n    date: 2026-12-04\n    method: git\n" for c, r in entries),
        encoding="utf-8")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "受領確認")
    return _git(root, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    _git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "README.md").write_text("架空のリポジトリ\n", encoding="utf-8")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-q", "-m", "最初のコミット")
    return tmp_path


def _added(root: Path, since: str) -> dict[str, list[tuple[str, str]] | None]:
    return receipt_pusher.added_receipts(root, gitio.rev_list(root, ["HEAD", "--not", since]))


def test_an_entry_counts_for_the_commit_that_adds_it(repo: Path) -> None:
    start = _git(repo, "rev-parse", "HEAD")
    first = _receipts(repo, (A, "kou-01"))
    second = _receipts(repo, (A, "kou-01"), (B, "otsu-01"))
    assert _added(repo, start) == {first: [(A, "kou-01")], second: [(B, "otsu-01")]}
    found = receipt_pusher.findings(repo, gitio.rev_list(repo, ["HEAD", "--not", start]), "kou-01")
    assert list(found) == [second] and "取扱者 otsu-01 の受領確認を、kou-01 の鍵で push しています" in found[second][0].message
    assert receipt_pusher.findings(repo, gitio.rev_list(repo, ["HEAD", "--not", first]), "otsu-01") == {}


def test_a_merge_adds_only_what_is_in_none_of_its_parents(repo: Path) -> None:
    base = _receipts(repo, (A, "kou-01"))
    _git(repo, "checkout", "-q", "-b", "side")
    side = _receipts(repo, (A, "kou-01"), (B, "otsu-01"))
    _git(repo, "checkout", "-q", "main")
    (repo / "notes.md").write_text("架空のメモ\n", encoding="utf-8")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "メモ")
    _git(repo, "merge", "-q", "--no-ff", "--no-edit", "side")
    merge = _git(repo, "rev-parse", "HEAD")
    assert _added(repo, base) == {side: [(B, "otsu-01")]}  # the merge brings B, adds nothing itself
    # a merge that writes an entry of its own (an "evil merge") adds it
    _git(repo, "reset", "-q", "--hard", "HEAD~1")
    _git(repo, "merge", "-q", "--no-ff", "--no-commit", "side")
    evil = _receipts(repo, (A, "kou-01"), (B, "otsu-01"), (C, "kou-01"))
    assert evil != merge and len(_git(repo, "rev-list", "--parents", "-n1", "HEAD").split()) == 3
    assert _added(repo, base) == {side: [(B, "otsu-01")], evil: [(C, "kou-01")]}


def test_a_file_that_is_not_receipts_is_refused(repo: Path) -> None:
    start = _git(repo, "rev-parse", "HEAD")
    bad = _receipts(repo, raw="receipts: [1, 2\n")
    assert _added(repo, start) == {bad: None}
    found = receipt_pusher.findings(repo, gitio.rev_list(repo, ["HEAD", "--not", start]), "kou-01")
    assert "受領確認として読めない" in found[bad][0].message and found[bad][0].severity == "error"
    # emptying the file adds none
    _receipts(repo, raw="receipts: []\n")
    assert _added(repo, bad) == {}

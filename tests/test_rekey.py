"""saiken rekey: re-encryption to the current handlers, proven with the Debian `age` CLI."""

from __future__ import annotations

import fcntl
import os
import subprocess
from saiken.core.layout import manifest_rel, record_rel
from pathlib import Path

from conftest import RecordsRepo

CASES = ["C-TEST0001", "C-TEST0002", "C-TEST0003", "C-TEST0004", "C-TEST0005"]


def add_cases(repo: RecordsRepo, text: str, ids: list[str]) -> None:
    for case_id in ids:
        repo.saiken("case", "new", "--from", "-", input=text.replace("C-TEST0001", case_id), check=True)


def age_opens(repo: RecordsRepo, key: Path, case_id: str) -> bool:
    proc = subprocess.run(["age", "-d", "-i", str(key), str(repo.root / record_rel(case_id))],
                          capture_output=True)
    return proc.returncode == 0 and b"case_id: " + case_id.encode() in proc.stdout


def snapshot(repo: RecordsRepo) -> dict[str, bytes]:
    folder = repo.root / "records"
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def key(repo: RecordsRepo, handler_id: str) -> Path:
    return repo.handlers[handler_id][0]


def test_new_handler_can_decrypt_and_removed_handler_cannot(records_repo: RecordsRepo,
                                                            fictional_case_text: str) -> None:
    repo = records_repo
    add_cases(repo, fictional_case_text, CASES[:3])
    repo.add_handler("otsu-02")
    assert not age_opens(repo, key(repo, "otsu-02"), CASES[0])
    result = repo.saiken("rekey")
    assert result.returncode == 0, result.stderr
    assert "全 3 件中 3 件を暗号化し直しました" in result.stdout
    assert all(age_opens(repo, key(repo, "otsu-02"), c) for c in CASES[:3])

    repo.saiken("handler", "deactivate", "otsu-01", check=True)
    before = snapshot(repo)
    result = repo.saiken("rekey", env={"SAIKEN_IDENTITY": str(key(repo, "otsu-02"))})
    assert result.returncode == 0, result.stderr
    after = snapshot(repo)
    assert all(before[record_rel(c)[len("records/"):]] != after[record_rel(c)[len("records/"):]] for c in CASES[:3])
    assert not any(age_opens(repo, repo.identity, c) for c in CASES[:3])
    assert all(age_opens(repo, key(repo, "otsu-02"), c) for c in CASES[:3])
    again = repo.saiken("rekey", env={"SAIKEN_IDENTITY": str(key(repo, "otsu-02"))})
    assert again.returncode == 0 and "変更はありません" in again.stdout
    assert snapshot(repo) == after


def test_dry_run_lists_changes_and_writes_nothing(records_repo: RecordsRepo, fictional_case_text: str) -> None:
    repo = records_repo
    add_cases(repo, fictional_case_text, CASES[:2])
    repo.add_handler("otsu-02")
    before = snapshot(repo)
    result = repo.saiken("rekey", "--dry-run")
    assert result.returncode == 0, result.stderr
    for case_id in CASES[:2]:
        assert f"{case_id}\t" in result.stdout
    assert "X25519 の宛先が 1 件あります（有効な取扱者は 2 件）" in result.stdout
    assert "全 2 件中 2 件を暗号化し直します" in result.stderr
    assert snapshot(repo) == before
    assert not age_opens(repo, key(repo, "otsu-02"), CASES[0])


def test_kill_midway_leaves_every_record_openable_and_rerun_finishes(records_repo: RecordsRepo,
                                                                     fictional_case_text: str) -> None:
    repo = records_repo
    add_cases(repo, fictional_case_text, CASES)
    repo.add_handler("otsu-02")
    repo.saiken("rekey", check=True)  # old set: otsu-01 + otsu-02
    repo.add_handler("otsu-03")
    repo.saiken("handler", "deactivate", "otsu-01", check=True)  # new set: otsu-02 + otsu-03
    env = {"SAIKEN_IDENTITY": str(key(repo, "otsu-02"))}

    killed = repo.saiken("rekey", env={**env, "SAIKEN_TEST_REKEY_CRASH_AFTER": "2"})
    assert killed.returncode == 75
    old = [c for c in CASES if age_opens(repo, repo.identity, c)]
    new = [c for c in CASES if age_opens(repo, key(repo, "otsu-03"), c)]
    assert sorted(old + new) == CASES  # each record opens with exactly one of the two sets
    assert len(new) == 2
    assert list((repo.root / "records").glob("*/*/.*.rekey.tmp"))  # the kill left its staged files

    rerun = repo.saiken("rekey", env=env)
    assert rerun.returncode == 0, rerun.stderr
    assert "一時ファイル 3 件を削除しました" in rerun.stderr
    assert all(age_opens(repo, key(repo, "otsu-03"), c) for c in CASES)
    assert not any(age_opens(repo, repo.identity, c) for c in CASES)
    assert not list((repo.root / "records").glob(".*.tmp"))
    assert repo.saiken("recipients", env=env).returncode == 0


def test_a_record_you_cannot_open_aborts_before_any_change(records_repo: RecordsRepo, fictional_case_text: str,
                                                          tmp_path: Path) -> None:
    repo = records_repo
    add_cases(repo, fictional_case_text, CASES[:3])
    stranger = tmp_path / "stranger.key"
    subprocess.run(["age-keygen", "-o", str(stranger)], check=True, capture_output=True)
    public = stranger.read_text().split("public key: ")[1].split()[0]
    foreign = repo.root / record_rel("C-FOREIGN1")
    foreign.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["age", "-r", public, "-o", str(foreign)], input=fictional_case_text.encode(), check=True)
    repo.add_handler("otsu-02")
    before = snapshot(repo)
    result = repo.saiken("rekey")
    assert result.returncode == 1
    assert "C-FOREIGN1" in result.stderr
    assert "1 件の記録をお手元の鍵（otsu-01）で開けないため、再暗号化を中止しました" in result.stderr
    assert "どの記録も変更していません" in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(repo) == before


def test_record_written_by_age_cli_is_brought_under_the_manifest(records_repo: RecordsRepo,
                                                                 fictional_case_text: str) -> None:
    repo = records_repo
    path = repo.root / record_rel("C-AGECLI01")
    path.parent.mkdir(parents=True, exist_ok=True)
    text = fictional_case_text.replace("C-TEST0001", "C-AGECLI01")
    subprocess.run(["age", "-r", repo.public, "-o", str(path)], input=text.encode(), check=True)
    dry = repo.saiken("rekey", "--dry-run")
    assert f"C-AGECLI01\t宛先台帳（{manifest_rel('C-AGECLI01')}）に記載がありません" in dry.stdout
    repo.saiken("rekey", check=True)
    assert "C-AGECLI01: {sha256: " in (repo.root / manifest_rel("C-AGECLI01")).read_text()
    assert age_opens(repo, repo.identity, "C-AGECLI01")
    assert repo.saiken("recipients").returncode == 0


def test_a_second_rekey_waits_for_the_first(records_repo: RecordsRepo, fictional_case_text: str) -> None:
    repo = records_repo
    add_cases(repo, fictional_case_text, CASES[:1])
    repo.add_handler("otsu-02")
    fd = os.open(repo.root / "records", os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # as a running rekey holds it
        before = snapshot(repo)
        result = repo.saiken("rekey")
        assert result.returncode == 1
        assert "別の `saiken rekey` が実行中です" in result.stderr
        assert snapshot(repo) == before
    finally:
        os.close(fd)
    assert repo.saiken("rekey").returncode == 0

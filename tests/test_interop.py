"""saiken and the Debian `age` CLI read each other's files: X25519 and ssh-ed25519, binary and armored.

A ward must never depend on saiken alone to open its records: any handler can decrypt a record with
`age -d -i KEY`, and a file a handler encrypted with `age` to the designated handlers opens in saiken.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from saiken.core.layout import manifest_rel, record_rel

from conftest import RecordsRepo

CASE = "C-TEST0001"


def _age(*args: str, input: bytes | None = None) -> bytes:
    proc = subprocess.run(["age", *args], input=input, capture_output=True, check=False)
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout


def _ssh_handler(repo: RecordsRepo) -> Path:
    key = repo.root.parent / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "fictional@example.invalid",
                    "-f", str(key)], check=True)
    pub = key.with_name("id_ed25519.pub").read_text().strip()
    repo.saiken("handler", "add", "--id", "kou-01", "--name", "架空 甲野", "--org", "甲", "--role", "取扱者",
                "--key", pub, check=True)
    return key


def _record_path(repo: RecordsRepo, case_id: str = CASE) -> Path:
    path = repo.root / record_rel(case_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _write_with_saiken(repo: RecordsRepo, text: str) -> str:
    src = repo.root.parent / "src.yaml"
    src.write_text(text, encoding="utf-8")
    repo.saiken("case", "new", "--from", str(src), check=True)
    src.unlink()
    return repo.saiken("case", "show", CASE, check=True).stdout


def test_saiken_record_opens_with_age_cli(records_repo: RecordsRepo, fictional_case_text: str) -> None:
    ssh_key = _ssh_handler(records_repo)
    shown = _write_with_saiken(records_repo, fictional_case_text)
    record = _record_path(records_repo)
    assert b"case_id" not in record.read_bytes()
    by_x25519 = _age("-d", "-i", str(records_repo.identity), str(record)).decode()
    by_ssh = _age("-d", "-i", str(ssh_key), str(record)).decode()
    assert by_x25519 == by_ssh == shown
    assert f"case_id: {CASE}" in by_x25519


@pytest.mark.parametrize("armored", [False, True], ids=["binary", "armored"])
def test_age_cli_file_opens_in_saiken(records_repo: RecordsRepo, fictional_case_text: str, armored: bool) -> None:
    ssh_key = _ssh_handler(records_repo)
    record = _record_path(records_repo)
    record.parent.mkdir(exist_ok=True)
    pub = ssh_key.with_name("id_ed25519.pub")
    args = ["-e", "-r", records_repo.public, "-R", str(pub), *(["-a"] if armored else []), "-o", str(record)]
    _age(*args, input=fictional_case_text.encode("utf-8"))
    start = b"-----BEGIN AGE ENCRYPTED FILE-----" if armored else b"age-encryption.org/v1\n"
    assert record.read_bytes().startswith(start)
    for identity in (records_repo.identity, ssh_key):
        r = records_repo.saiken("case", "show", CASE, env={"SAIKEN_IDENTITY": str(identity)})
        assert r.returncode == 0, r.stderr
        assert r.stdout == fictional_case_text
    listed = records_repo.saiken("case", "list", "--format", "tsv", env={"SAIKEN_IDENTITY": str(ssh_key)})
    assert listed.returncode == 0 and listed.stdout.startswith(f"{CASE}\t")


def test_age_cli_file_for_someone_else_is_refused(records_repo: RecordsRepo, fictional_case_text: str) -> None:
    stranger = records_repo.root.parent / "stranger.txt"
    public = records_repo.saiken("keygen", "-o", str(stranger), check=True).stdout.strip()
    record = _record_path(records_repo)
    record.parent.mkdir(exist_ok=True)
    _age("-e", "-r", public, "-o", str(record), input=fictional_case_text.encode("utf-8"))
    r = records_repo.saiken("case", "show", CASE)
    assert r.returncode == 1
    assert "お手元の鍵ではこのファイルを開けません" in r.stderr and record_rel(CASE) in r.stderr
    assert r.stdout == ""


def test_ssh_only_handler_reads_age_cli_file_with_ssh_identity(records_repo: RecordsRepo,
                                                               fictional_case_text: str) -> None:
    """`age -R k.pub -a` → saiken with SAIKEN_IDENTITY=k, with no k.pub left beside the key."""
    ssh_key = _ssh_handler(records_repo)
    record = _record_path(records_repo)
    record.parent.mkdir(exist_ok=True)
    _age("-e", "-R", str(ssh_key.with_name("id_ed25519.pub")), "-a", "-o", str(record),
         input=fictional_case_text.encode("utf-8"))
    ssh_key.with_name("id_ed25519.pub").unlink()
    r = records_repo.saiken("case", "show", CASE, "--format", "json", env={"SAIKEN_IDENTITY": str(ssh_key)})
    assert r.returncode == 0, r.stderr
    assert f'"case_id": "{CASE}"' in r.stdout

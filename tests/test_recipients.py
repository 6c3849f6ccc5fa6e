"""saiken recipients: what each record's header and the manifest say, checked against the handlers."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
from pathlib import Path

from conftest import VENV_BIN, RecordsRepo
from saiken.core import manifest
from saiken.core.layout import manifest_rel, record_rel



def add_case(repo: RecordsRepo, text: str, case_id: str) -> None:
    repo.saiken("case", "new", "--from", "-", input=text.replace("C-TEST0001", case_id), check=True)


def test_every_write_is_in_the_manifest_and_matches(records_repo: RecordsRepo, fictional_case_text: str) -> None:
    repo = records_repo
    # C-TEST0001 and C-TEST95185 share a bucket: one manifest, sorted for merge=union
    assert manifest_rel("C-TEST0001") == manifest_rel("C-TEST95185") != manifest_rel("C-TEST0002")
    add_case(repo, fictional_case_text, "C-TEST95185")
    add_case(repo, fictional_case_text, "C-TEST0002")
    add_case(repo, fictional_case_text, "C-TEST0001")
    MANIFEST = manifest_rel("C-TEST0001")
    lines = [line for line in (repo.root / MANIFEST).read_text().splitlines() if not line.startswith("#")]
    assert [line.split(":")[0] for line in lines] == ["C-TEST0001", "C-TEST95185"]  # this bucket's records only
    sha = hashlib.sha256((repo.root / record_rel("C-TEST0001")).read_bytes()).hexdigest()
    assert lines[0].startswith(f"C-TEST0001: {{sha256: {sha}, recipients: [")
    assert "架空" not in (repo.root / MANIFEST).read_text()

    result = repo.saiken("recipients")
    assert result.returncode == 0, result.stderr
    assert "C-TEST0001\tX25519×1\t最新\t一致\t開ける" in result.stdout
    data = json.loads(repo.saiken("recipients", "--format", "json").stdout)
    assert [r["matches_policy"] for r in data["records"]] == [True, True, True]
    assert data["records"][0]["manifest_recipients"] == ["otsu-01"]


def test_record_encrypted_to_an_extra_key_is_a_mismatch(records_repo: RecordsRepo, fictional_case_text: str,
                                                        tmp_path: Path) -> None:
    repo = records_repo
    add_case(repo, fictional_case_text, "C-TEST0001")
    add_case(repo, fictional_case_text, "C-TEST0002")
    extra = tmp_path / "extra.key"
    subprocess.run(["age-keygen", "-o", str(extra)], check=True, capture_output=True)
    extra_public = extra.read_text().split("public key: ")[1].split()[0]
    record = repo.root / record_rel("C-TEST0001")
    record.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["age", "-r", repo.public, "-r", extra_public, "-o", str(record)],
                   input=fictional_case_text.encode(), check=True)

    result = repo.saiken("recipients")
    assert result.returncode == 1
    assert "C-TEST0001\tX25519×2\t古い\t不一致" in result.stdout
    assert "X25519 の宛先が 2 件あります（有効な取扱者は 1 件）" in result.stdout
    assert "C-TEST0002\tX25519×1\t最新\t一致" in result.stdout
    assert "1 件の記録の宛先が現在の取扱者の指定と一致しません（C-TEST0001）" in result.stderr
    assert "対処: saiken rekey" in result.stderr

    repo.saiken("rekey", check=True)
    assert repo.saiken("recipients").returncode == 0
    assert subprocess.run(["age", "-d", "-i", str(extra), str(record)], capture_output=True).returncode != 0


def test_same_count_but_other_key_is_caught_by_the_manifest(records_repo: RecordsRepo,
                                                            fictional_case_text: str, tmp_path: Path) -> None:
    repo = records_repo
    add_case(repo, fictional_case_text, "C-TEST0001")
    other = tmp_path / "other.key"
    subprocess.run(["age-keygen", "-o", str(other)], check=True, capture_output=True)
    other_public = other.read_text().split("public key: ")[1].split()[0]
    record = repo.root / record_rel("C-TEST0001")
    record.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["age", "-r", other_public, "-o", str(record)], input=fictional_case_text.encode(), check=True)
    result = repo.saiken("recipients")
    assert result.returncode == 1
    assert "C-TEST0001\tX25519×1\t古い\t不一致\t開けない" in result.stdout
    assert "SHA-256 不一致" in result.stdout


def test_ssh_handler_tag_is_shown_and_matched(records_repo: RecordsRepo, fictional_case_text: str,
                                              tmp_path: Path) -> None:
    repo = records_repo
    add_case(repo, fictional_case_text, "C-TEST0001")
    ssh_key = tmp_path / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "fictional", "-f", str(ssh_key)], check=True)
    public = Path(f"{ssh_key}.pub").read_text().strip()
    wire = base64.b64decode(public.split()[1])
    tag = base64.b64encode(hashlib.sha256(wire).digest()[:4]).decode().rstrip("=")
    repo.saiken("handler", "add", "--id", "kou-01", "--name", "架空 甲野", "--org", "甲", "--role", "取扱者",
                "--key", public, check=True)

    before = repo.saiken("recipients")
    assert before.returncode == 1
    assert f"不足: {tag}" in before.stdout
    repo.saiken("rekey", check=True)
    result = repo.saiken("recipients")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"有効な取扱者の宛先: X25519×1 ssh-ed25519({tag})" in result.stdout
    assert f"C-TEST0001\tX25519×1 ssh-ed25519({tag})\t最新\t一致\t開ける" in result.stdout
    record = repo.root / record_rel("C-TEST0001")
    record.parent.mkdir(parents=True, exist_ok=True)
    opened = subprocess.run(["age", "-d", "-i", str(ssh_key), str(record)], capture_output=True)
    assert opened.returncode == 0 and b"case_id: C-TEST0001" in opened.stdout
    as_ssh = repo.saiken("recipients", env={"SAIKEN_IDENTITY": str(ssh_key)})
    assert f"C-TEST0001\tX25519×1 ssh-ed25519({tag})\t最新\t一致\t開ける" in as_ssh.stdout


def test_without_an_identity_the_column_is_left_out(records_repo: RecordsRepo, fictional_case_text: str) -> None:
    repo = records_repo
    add_case(repo, fictional_case_text, "C-TEST0001")
    env = {k: v for k, v in repo.env.items() if k != "SAIKEN_IDENTITY"}
    proc = subprocess.run([str(VENV_BIN / "saiken"), "recipients"], cwd=repo.root,
                          env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "事案番号\t宛先\t台帳\t照合\n" in proc.stdout
    assert "開ける" not in proc.stdout


def test_unreadable_manifest_lines_and_orphans_are_reported(records_repo: RecordsRepo,
                                                            fictional_case_text: str) -> None:
    repo = records_repo
    add_case(repo, fictional_case_text, "C-TEST0001")
    path = repo.root / manifest_rel("C-TEST0001")
    line = path.read_text().splitlines()[-1]
    path.write_text(path.read_text() + "<<<<<<< HEAD\n" + line.replace("C-TEST0001", "C-GONE0001") + "\n")
    result = repo.saiken("recipients")
    assert result.returncode == 0
    assert "を読めません（<<<<<<< HEAD）" in result.stderr
    assert "記録のない事案 C-GONE0001 の記載があります" in result.stderr
    repo.saiken("rekey", check=True)  # rewrites the manifest from the records that exist
    assert "C-GONE0001" not in path.read_text() and "<<<" not in path.read_text()


def test_union_merge_of_the_manifest_keeps_both_claims_until_a_write() -> None:
    a = manifest.Entry("a" * 64, ("1" * 16,), "2" * 16)
    b = manifest.Entry("b" * 64, ("3" * 16,), "4" * 16)
    merged = manifest.parse(manifest.HEADER + a.line("C-TEST0001") + "\n" + b.line("C-TEST0001") + "\n")
    assert merged.problems == []
    assert merged.entry_for("C-TEST0001", "a" * 64) == a  # the claim about the file as it is
    assert merged.entry_for("C-TEST0001", "b" * 64) == b
    assert merged.text().count("C-TEST0001:") == 2
    merged.set("C-TEST0001", b)
    assert merged.text().count("C-TEST0001:") == 1

"""Default deny for paths: a records repository holds its encrypted records and the files its
allow-list (policies/paths.yaml) names, nothing else; every text file is searched; a file that looks
like a record is refused wherever it is; an age header in front of plaintext is no age file.

Real git, real keys (pyrage), the real console script. Every person here is fictional (架空).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pyrage
import yaml
import pytest
from test_checks import FAMILY, FAMILY_KANA, GIVEN, case_yaml, check_all, lines, new_case, write

from conftest import ROOT, VENV_BIN, RecordsRepo, _base_env
from saiken.core import crypto
from saiken.core.layout import manifest_rel, record_rel

MEMO = f"氏名：{FAMILY} {GIVEN}\n住所：東京都新宿区試験町9-8-7\n電話：03-0000-0009\n"


def staged_check(repo: RecordsRepo):  # type: ignore[no-untyped-def]
    repo.git("add", "-A")
    return repo.saiken("check", "--staged")


# --- default deny --------------------------------------------------------------------------------

def test_a_file_off_the_allow_list_is_refused_with_how_to_move_it_out(records_repo: RecordsRepo) -> None:
    write(records_repo, "memo.txt", MEMO)
    for r in (check_all(records_repo, env={"SAIKEN_IDENTITY": ""}), staged_check(records_repo)):
        assert r.returncode == 1
        found = lines(r.stdout, "paths")
        assert len(found) == 1, r.stdout
        assert found[0].startswith("エラー [paths] 特記事項2・8 memo.txt – ")
        assert "policies/paths.yaml" in found[0] and "`git rm --cached memo.txt`" in found[0]
        assert "リポジトリの外" in found[0]
        assert FAMILY not in r.stdout


def test_tests_is_no_exemption_in_a_records_repository(records_repo: RecordsRepo) -> None:
    """A decrypted record saved under tests/, even where an old personal-data.yaml still declares
    fictional_paths: [tests/], is refused – as a path off the list and as a record."""
    write(records_repo, "policies/personal-data.yaml", "public: []\nfictional_paths: [tests/]\n")
    write(records_repo, "tests/fixtures/case.yaml", case_yaml("C-TESTS001"))
    r = check_all(records_repo, env={"SAIKEN_IDENTITY": ""})
    assert r.returncode == 1
    assert lines(r.stdout, "paths") and lines(r.stdout, "record_like"), r.stdout


def test_the_fictional_kind_holds_only_where_nobody_is_designated(records_repo: RecordsRepo) -> None:
    write(records_repo, "policies/paths.yaml", "paths:\n  \"policies/*.yaml\": text\n  \"tests/**\": fictional\n")
    write(records_repo, "tests/case.yaml", case_yaml("C-FICT0001"))
    r = check_all(records_repo, env={"SAIKEN_IDENTITY": ""})
    assert r.returncode == 1
    assert any(x.startswith("エラー [paths] 特記事項2・8 policies/paths.yaml") and "fictional" in x
               for x in lines(r.stdout, "paths")), r.stdout
    assert any("tests/case.yaml" in x for x in lines(r.stdout, "record_like")), r.stdout


@pytest.mark.parametrize("rel, content", [
    ("ledger/people.yaml", f"- family: {FAMILY}\n  given: {GIVEN}\n  birth_date: 1996-07-15\n"),
    ("ledger/people.yaml", f'[{{"name": "{FAMILY} {GIVEN}", "address": "東京都新宿区試験町9-8-7"}}]\n'),
    ("docs/一覧.md", f"氏名,フリガナ,生年月日,住所\n{FAMILY}{GIVEN},{FAMILY_KANA},1996/07/15,東京都新宿区試験町9-8-7\n"),
    ("docs/memo.md", MEMO),
    ("docs/memo.md", f"parties:\n  - name: {{family: {FAMILY}, given: {GIVEN}}}\n    address: {{line: 東京都新宿区試験町9-8-7}}\n"),
], ids=["yaml-no-case-id", "json", "csv", "labelled-memo", "record-without-case-id"])
def test_a_file_that_looks_like_a_record_is_refused_without_any_key(records_repo: RecordsRepo, rel: str,
                                                                     content: str) -> None:
    write(records_repo, rel, content)
    r = check_all(records_repo, env={"SAIKEN_IDENTITY": ""})
    assert r.returncode == 1, r.stdout
    found = lines(r.stdout, "record_like")
    assert len(found) == 1 and f" {rel} – " in found[0], r.stdout
    assert f"`git rm --cached {rel}`" in found[0] and FAMILY not in r.stdout


@pytest.mark.parametrize("content", [
    "# 督促の手順\n\n1. 氏名と住所を確かめる\n2. 生年月日を本人に尋ねる\n",
    "handlers:\n  - {id: otsu-01, name: 架空 太郎, email: otsu-01@example.invalid, designated: 2021-04-01}\n",
    "parties:\n  - name: {family: 姓, given: 名}\n    birth_date: YYYY-MM-DD\n    address: {line: 住所}\n",
], ids=["procedure", "handlers", "template"])
def test_procedures_staff_and_templates_are_not_records(records_repo: RecordsRepo, content: str) -> None:
    write(records_repo, "docs/procedures/x.md", content)
    r = check_all(records_repo, env={"SAIKEN_IDENTITY": ""})
    assert not lines(r.stdout, "record_like"), r.stdout


def test_every_allowed_text_file_is_searched_for_the_records_names(records_repo: RecordsRepo) -> None:
    """Not only ledger/, docs/ and policies/: .gitignore and the pre-commit settings too."""
    new_case(records_repo, "C-SCAN0001")
    write(records_repo, ".gitignore", f"# {FAMILY}{GIVEN}さんの分\nout/\n")
    write(records_repo, ".pre-commit-config.yaml", f"# {FAMILY}{GIVEN}\nrepos: []\n")
    r = check_all(records_repo)
    assert r.returncode == 1
    found = lines(r.stdout, "pii_outside")
    assert any(".gitignore:1行目" in x for x in found) and any(".pre-commit-config.yaml:1行目" in x for x in found)


def test_an_allowed_place_takes_only_its_kind_of_content(records_repo: RecordsRepo) -> None:
    (records_repo.root / "docs" / "img").mkdir(parents=True)
    (records_repo.root / "docs" / "img" / "scan.png").write_text(MEMO, encoding="utf-8")  # text, not an image
    (records_repo.root / "docs" / "scan.md").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR")
    r = check_all(records_repo, env={"SAIKEN_IDENTITY": ""})
    found = lines(r.stdout, "paths")
    assert r.returncode == 1 and len(found) == 2, r.stdout
    assert any("docs/img/scan.png" in x and "画像" in x for x in found)
    assert any("docs/scan.md" in x and "テキスト" in x for x in found)


def test_saiken_init_writes_the_records_allow_list(tmp_path: Path) -> None:
    env = _base_env(tmp_path)
    made = subprocess.run([str(VENV_BIN / "saiken"), "init", "made"], cwd=tmp_path, capture_output=True,
                          text=True, env=env)
    assert made.returncode == 0, made.stderr
    root = tmp_path / "made"
    allow = yaml.safe_load((root / "policies" / "paths.yaml").read_text(encoding="utf-8"))["paths"]
    assert "fictional" not in allow.values() and not [p for p in allow if p.startswith(("scripts/", "tests/"))]
    assert "tests/" in (ROOT / "policies" / "paths.yaml").read_text(encoding="utf-8")  # saiken's own list
    (root / "tests").mkdir()
    (root / "tests" / "case.yaml").write_text(case_yaml("C-INIT0002"), encoding="utf-8")
    r = subprocess.run([str(VENV_BIN / "saiken"), "check", "--all"], cwd=root, capture_output=True, text=True, env=env)
    assert r.returncode == 1 and "[paths] 特記事項2・8 tests/case.yaml" in r.stdout, r.stdout


def test_saikens_own_repository_passes_its_own_checks(tmp_path: Path) -> None:
    """This checkout runs its own hooks: its tests hold fictional records, its scripts record
    templates. Its own policies/paths.yaml allows them (nobody is designated here)."""
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    paths = [p for p in tracked.decode().split("\0") if p and (ROOT / p).is_file()]
    r = subprocess.run([str(VENV_BIN / "saiken"), "check", "--no-cache", *paths], cwd=ROOT, capture_output=True,
                       text=True, env=_base_env(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "エラー 0 件" in r.stdout


# --- an age header in front of plaintext ---------------------------------------------------------------

def fake_record(repo: RecordsRepo, case_id: str, payload: bytes) -> bytes:
    """A record whose age header is genuine (encrypted to the handler) but whose payload is not."""
    real = crypto.encrypt(b"x", [crypto.RecipientKey.parse(repo.public)])
    header = real[: real.index(b"\n", real.index(b"\n--- ") + 1) + 1]
    return header + payload


@pytest.mark.parametrize("payload", [
    os.urandom(16) + case_yaml("C-HDR00001").encode(),
    case_yaml("C-HDR00001").encode(),
    os.urandom(16) + case_yaml("C-HDR00001").encode("utf-16-le"),
    os.urandom(16) + os.urandom(4096) + f"note: {FAMILY}{GIVEN}さんは東京都新宿区試験町9-8-7に住んでいる".encode(),
    os.urandom(16) + os.urandom(65536 + 16) + os.urandom(5),
    os.urandom(20),
], ids=["yaml", "no-nonce", "utf-16", "text-after-ciphertext", "chunk-sizes", "too-short"])
def test_an_age_header_in_front_of_plaintext_is_refused_without_a_key(records_repo: RecordsRepo,
                                                                      payload: bytes) -> None:
    (records_repo.root / "records").mkdir(exist_ok=True)
    (records_repo.root / record_rel("C-HDR00001")).parent.mkdir(parents=True, exist_ok=True)
    (records_repo.root / record_rel("C-HDR00001")).write_bytes(fake_record(records_repo, "C-HDR00001", payload))
    r = check_all(records_repo, "--only", "plaintext", env={"SAIKEN_IDENTITY": ""})
    assert r.returncode == 1, r.stdout
    assert f"[plaintext] 特記事項2・8 {record_rel('C-HDR00001')}" in r.stdout


def test_real_age_payloads_of_every_size_look_like_ciphertext(records_repo: RecordsRepo) -> None:
    """No false alarm: pyrage's and the age CLI's files of sizes around the chunk boundaries, of
    plaintext that repeats itself, armored or not, all pass."""
    from saiken.core import ciphertext

    key = crypto.RecipientKey.parse(records_repo.public)
    sizes = [0, 1, 15, 16, 17, 100, 4096, 65535, 65536, 65537, 2 * 65536, 2 * 65536 + 1, 300_000]
    for n in sizes:
        plain = (case_yaml("C-SIZE0001") * (n // 400 + 1)).encode()[:n]
        for data in (pyrage.encrypt(plain, [key.recipient]),
                     subprocess.run(["age", "-r", records_repo.public], input=plain, capture_output=True,
                                    check=True).stdout,
                     subprocess.run(["age", "-a", "-r", records_repo.public], input=plain, capture_output=True,
                                    check=True).stdout):
            assert ciphertext.payload_problem(data) is None, n


# --- control characters in file names ------------------------------------------------------------------

def test_control_characters_in_a_file_name_never_break_a_line(records_repo: RecordsRepo) -> None:
    write(records_repo, "records/C-NL00001\nエラー [fake] x.yaml.age", "plain\n")
    write(records_repo, "docs/a\x1b[31mb.md", "# x\n")
    r = check_all(records_repo, "--format", "text", env={"SAIKEN_IDENTITY": ""})
    assert r.returncode == 1
    assert "\x1b" not in r.stdout
    for line in r.stdout.splitlines():
        assert line.startswith(("エラー ", "警告 ", "検査した")), repr(line)
    assert "records/C-NL00001\\nエラー [fake] x.yaml.age" in r.stdout
    assert "$'records/C-NL00001\\nエラー [fake] x.yaml.age'" in r.stdout  # a command that works in bash


# --- links and submodules: entries no regular file is ------------------------------------------

def _committed(repo: RecordsRepo) -> str:
    repo.git("-c", "core.hooksPath=/dev/null", "commit", "-q", "--no-verify", "-m", "docs")
    return repo.git("rev-parse", "HEAD").strip()


def _three_ways(repo: RecordsRepo, base: str) -> list:  # type: ignore[type-arg]
    """What is staged, judged as the pre-commit hook, check --all and, once committed, check --range
    judge it: the three results."""
    staged = repo.saiken("check", "--staged")
    every = check_all(repo)
    return [staged, every, repo.saiken("check", "--range", f"{base}..{_committed(repo)}")]


def test_a_symbolic_link_is_refused_everywhere(records_repo: RecordsRepo, tmp_path: Path) -> None:
    """A link can point at a key or a decrypted record outside the repository, and the site build
    would publish what it points at; the old `check --all` followed it and, finding no file at a
    target like a name, said nothing."""
    new_case(records_repo, "C-LINK0001")
    secret = tmp_path / "otsu-01.txt"
    secret.write_text("AGE-SECRET-KEY-1架空\n", encoding="utf-8")
    records_repo.git("add", "-A")
    base = _committed(records_repo)
    (records_repo.root / "docs").mkdir()
    (records_repo.root / "docs" / "key.md").symlink_to(secret)
    records_repo.git("add", "-A")
    for r in _three_ways(records_repo, base):
        found = lines(r.stdout, "paths")
        assert r.returncode == 1 and any("docs/key.md" in x and "シンボリックリンク" in x for x in found), r.stdout
        assert "AGE-SECRET-KEY" not in r.stdout + r.stderr


def test_a_link_whose_target_reads_like_a_clean_file_is_not_taken_from_the_cache(records_repo: RecordsRepo) -> None:
    write(records_repo, "docs/a.md", "b.md")  # a clean text file, cached clean
    assert check_all(records_repo).returncode == 0
    (records_repo.root / "docs" / "a.md").unlink()
    (records_repo.root / "docs" / "a.md").symlink_to("b.md")  # the same bytes as a link: the same blob id
    r = check_all(records_repo)
    assert r.returncode == 1 and any("シンボリックリンク" in x for x in lines(r.stdout, "paths")), r.stdout


def test_a_link_to_an_endless_file_is_not_read(records_repo: RecordsRepo) -> None:
    (records_repo.root / "docs").mkdir()
    (records_repo.root / "docs" / "zero.md").symlink_to("/dev/zero")
    r = subprocess.run([str(VENV_BIN / "saiken"), "check", "--all"], cwd=records_repo.root, capture_output=True,
                       text=True, env=records_repo.env, timeout=120)
    assert r.returncode == 1 and any("docs/zero.md" in x for x in lines(r.stdout, "paths")), r.stdout


def test_a_submodule_is_refused_everywhere(records_repo: RecordsRepo) -> None:
    """A submodule entry names a commit of another repository: its 40 hex digits can be chosen to
    carry a number, and its path (even under records/) was skipped by every check."""
    new_case(records_repo, "C-LINK0002")
    records_repo.git("add", "-A")
    base = _committed(records_repo)
    records_repo.git("update-index", "--add", "--cacheinfo", f"160000,{'0312345678' * 4},docs/sub")
    records_repo.git("update-index", "--add", "--cacheinfo", f"160000,{base},records/C-LINK0003.yaml.age")
    for r in _three_ways(records_repo, base):
        found = lines(r.stdout, "paths")
        assert r.returncode == 1, r.stdout
        assert {p for p in ("docs/sub", "records/C-LINK0003.yaml.age") if any(p in x and "サブモジュール" in x for x in found)} \
            == {"docs/sub", "records/C-LINK0003.yaml.age"}, r.stdout


def test_a_file_too_large_to_search_is_refused_unread(records_repo: RecordsRepo) -> None:
    """Folding and searching a text takes about ten times its size in memory: a huge file pushed
    would take the server's hook down. Over the limit, a file is refused without being searched."""
    from saiken.checks.paths import MAX_FILE_BYTES

    write(records_repo, "docs/big.md", "# 大きな文書\n" + "あ" * (MAX_FILE_BYTES // 3 + 10))
    r = check_all(records_repo)
    found = lines(r.stdout, "paths")
    assert r.returncode == 1 and len(found) == 1 and "docs/big.md" in found[0] and "大きすぎます" in found[0], r.stdout
    assert not lines(r.stdout, "pii_outside") and not lines(r.stdout, "record_like")

"""Each check: a violating input gives its finding and message, a compliant one passes.

Real encrypted records (`saiken case new`; saiken's own age writer in-process for records saiken
itself would refuse to write; the Debian age CLI for files no saiken wrote), real git, the real
`saiken` console script.
Every person here is fictional (架空).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import SEED_FILE, RecordsRepo, plant_record
from saiken.checks import FileInput, Finding, registry
from saiken.checks.context import Context
from saiken.checks.patterns import my_number_valid
from saiken.checks.runner import run
from saiken.core import agefile, crypto, layout, manifest
from saiken.core.policy import Policy
from saiken.core.layout import manifest_rel, record_rel

SEED = SEED_FILE

# 架空の人物（テスト用）
FAMILY, GIVEN, FAMILY_KANA, GIVEN_KANA = "試験谷", "星子", "シケンダニ", "ホシコ"


def case_yaml(case_id: str, note: str = "分納の相談あり", extra: str = "") -> str:
    return f"""# 架空の人物です（テスト用）
case_id: {case_id}
status: 交渉中
parties:
  - id: p1
    role: borrower
    name: {{family: {FAMILY}, given: {GIVEN}, family_kana: {FAMILY_KANA}, given_kana: {GIVEN_KANA}}}
    birth_date: 1996-07-15
    address: {{postal_code: "169-0000", line: 東京都新宿区試験町9-8-7}}
    contact: {{phone: "03-0000-0009", email: hoshiko@example.invalid}}
{extra}claim:
  contract_date: 2013-03-15
  principal: 720000
  repayment: {{method: 月賦, first_due: 2017-04-27, count: 120}}
history:
  - at: 2021-05-10 10:00
    kind: 電話
    by: otsu-01
    party: p1
    note: "{note}"
"""


def new_case(repo: RecordsRepo, case_id: str, note: str = "分納の相談あり") -> None:
    """A record as `case new` writes it, whatever its note (saiken refuses a prohibited word
    before saving; these records stand for ones that came another way)."""
    plant_record(repo, case_yaml(case_id, note))


def age_encrypt(repo: RecordsRepo, text: str, rel: str, *, recipients: list[str], armor: bool = False,
                cli: bool = False) -> None:
    """Encrypt past saiken's own checks – with saiken's age writer in memory, or with the age CLI
    (`cli`: plaintext through a pipe, never on disk) – and note the recipients in
    the record's bucket manifest (records/<xx>/<y>/manifest.yaml), as saiken does when it writes a record."""
    (repo.root / rel).parent.mkdir(parents=True, exist_ok=True)
    if cli:
        args = ["age", *(["-a"] if armor else []), *[a for r in recipients for a in ("-r", r)],
                "-o", str(repo.root / rel)]
        subprocess.run(args, input=text.encode(), check=True)
    else:
        keys = [crypto.RecipientKey.parse(r) for r in recipients]
        (repo.root / rel).write_bytes(crypto.encrypt(text.encode(), keys, armored=armor))
    if layout.is_record(rel):
        manifest.record_written(repo.root, layout.case_id_of(rel), (repo.root / rel).read_bytes(),
                                [crypto.RecipientKey.parse(r) for r in recipients])


def write(repo: RecordsRepo, rel: str, text: str) -> None:
    path = repo.root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def lines(out: str, check: str) -> list[str]:
    return [line for line in out.splitlines() if f"[{check}]" in line]


def check_all(repo: RecordsRepo, *extra: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return repo.saiken("check", "--all", *extra, env=env)


# --- framework -----------------------------------------------------------------------------------

def test_every_check_declares_id_terms_severity_and_title() -> None:
    for cid, module in registry().items():
        assert module.ID == cid
        assert module.TERMS and all(1 <= t <= 21 for t in module.TERMS)
        assert module.SEVERITY in ("error", "warning")
        assert any("\u3040" <= c <= "\u9fff" for c in module.TITLE)


def test_finding_renders_as_one_line() -> None:
    f = Finding("plaintext", (2, 8), "error", "records/x", None, "直してください。")
    assert f.render() == "エラー [plaintext] 特記事項2・8 records/x – 直してください。"
    g = Finding("schema", (3,), "warning", "records/x", "parties[0].hobby", "m")
    assert g.render() == "警告 [schema] 特記事項3 records/x:parties[0].hobby – m"
    with pytest.raises(ValueError):
        Finding("schema", (3,), "info", "f", None, "m")


def designated_at_start(repo: RecordsRepo) -> None:
    """The handlers designated when the contract began (2021-04-01), not on the day the test runs."""
    path = repo.root / "policies" / "handlers.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"designated: \d{4}-\d{2}-\d{2}", "designated: 2021-04-01", text), encoding="utf-8")


def test_clean_repository_passes(records_repo: RecordsRepo) -> None:
    designated_at_start(records_repo)
    new_case(records_repo, "C-CLEAN001")
    write(records_repo, "docs/手順.md", "# 督促の手順\n\n事案 C-CLEAN001 は交渉中。\n")
    r = check_all(records_repo, "--as-of", "2021-06-01")
    assert r.returncode == 0, r.stdout + r.stderr
    # only the reminders that this fiscal year's training and audit are still to come
    assert "エラー 0 件、警告 2 件" in r.stdout
    assert len(lines(r.stdout, "evidence")) == 2


def test_requires_files_or_all(records_repo: RecordsRepo) -> None:
    r = records_repo.saiken("check")
    assert r.returncode == 1
    assert "--all" in r.stderr and "Traceback" not in r.stderr


def test_runner_takes_blobs_not_only_the_work_tree(records_repo: RecordsRepo) -> None:
    """The runner checks bytes it is given (index, commits): nothing here is on disk."""
    root = records_repo.root
    policy = Policy.load(root)
    tree = {rel: (root / rel).read_bytes() for rel in ("policies/prohibited-categories.yaml",
                                                        "policies/personal-data.yaml")}
    ctx = Context(policy, tree.get, crypto.load_identities([records_repo.identity]),
                  commit_message=f"{FAMILY}{GIVEN} の件")
    record = crypto.encrypt(case_yaml("C-BLOB0001", "前科あり").encode(), policy.active_recipients())
    files = [FileInput(record_rel("C-BLOB0001"), record, blob_id="0" * 40),
             FileInput("records/leak.yaml", b"case_id: C-BLOB0002\nparties: []\n")]
    report = run(files, ctx)
    got = {(f.check, f.file, f.where) for f in report.findings}
    assert ("prohibited", record_rel("C-BLOB0001"), "history[0].note") in got
    assert ("plaintext", "records/leak.yaml", None) in got
    assert ("pii_outside", "(コミットメッセージ)", "1行目") in got
    assert report.exit_code == 1


# --- plaintext (terms 2, 8) ----------------------------------------------------------------------

def test_plaintext_under_records_is_an_error(records_repo: RecordsRepo) -> None:
    new_case(records_repo, "C-PLAIN001")
    write(records_repo, "records/C-PLAIN002.yaml", case_yaml("C-PLAIN002"))
    write(records_repo, record_rel("C-PLAIN003"), "not really age\n")
    r = check_all(records_repo)
    assert r.returncode == 1
    found = sorted(lines(r.stdout, "plaintext"), key=lambda line: record_rel("C-PLAIN003") in line)
    assert len(found) == 2, r.stdout
    assert found[0].startswith("エラー [plaintext] 特記事項2・8 records/C-PLAIN002.yaml – records/ に暗号化されていないファイル")
    assert "shred -u records/C-PLAIN002.yaml" in found[0]
    assert record_rel("C-PLAIN003") in found[1]
    assert "特記事項に反する箇所が" in r.stderr


def test_armored_age_and_allowed_files_pass(records_repo: RecordsRepo) -> None:
    age_encrypt(records_repo, case_yaml("C-ARMOR001"), record_rel("C-ARMOR001"),
                recipients=[records_repo.public], armor=True)
    write(records_repo, "records/.gitkeep", "")
    r = check_all(records_repo)
    assert r.returncode == 0, r.stdout
    assert not lines(r.stdout, "plaintext")


def test_an_armored_file_from_the_age_cli_is_age_but_not_provable(records_repo: RecordsRepo) -> None:
    age_encrypt(records_repo, case_yaml("C-ARMOR002"), record_rel("C-ARMOR002"),
                recipients=[records_repo.public], armor=True, cli=True)
    r = check_all(records_repo)
    assert not lines(r.stdout, "plaintext") and not lines(r.stdout, "schema")  # it opens and reads
    found = lines(r.stdout, "recipients")
    assert r.returncode == 1 and len(found) == 1 and record_rel("C-ARMOR002") in found[0]
    assert "宛先を鍵で証明できません" in found[0] and "`saiken rekey`" in found[0]


def test_a_record_named_after_a_person_is_refused(records_repo: RecordsRepo) -> None:
    age_encrypt(records_repo, case_yaml("C-NAME0001"), record_rel(FAMILY),
                recipients=[records_repo.public])
    r = check_all(records_repo)
    assert r.returncode == 1
    assert any("ファイル名は「事案番号.yaml.age」" in line for line in lines(r.stdout, "plaintext"))


def test_a_decrypted_record_anywhere_is_refused(records_repo: RecordsRepo) -> None:
    write(records_repo, "tmp/C-LOOSE001.yaml", case_yaml("C-LOOSE001"))
    write(records_repo, "tools/template.py", f'TEMPLATE = """\n{case_yaml("C-TEMPL001")}"""\n')  # a record in code
    write(records_repo, "ledger/C-LOOSE002.yaml", case_yaml("C-LOOSE002"))  # an allowed place holds no record
    r = check_all(records_repo, env={"SAIKEN_IDENTITY": ""})
    assert r.returncode == 1
    assert "tmp/C-LOOSE001.yaml – 事案の記録のような平文（case_id と parties）" in r.stdout
    assert len(lines(r.stdout, "record_like")) == 3 and len(lines(r.stdout, "paths")) == 2
    assert not lines(r.stdout, "plaintext")


def test_plaintext_check_needs_no_identity(records_repo: RecordsRepo) -> None:
    new_case(records_repo, "C-NOKEY001")
    write(records_repo, "records/C-NOKEY002.yaml", "x: 1\n")
    r = records_repo.saiken("check", record_rel("C-NOKEY001"), "records/C-NOKEY002.yaml",
                            env={"SAIKEN_IDENTITY": ""})
    assert r.returncode == 1
    assert len(lines(r.stdout, "plaintext")) == 1
    assert "鍵が設定されていないため" in r.stderr


# --- recipients (terms 2, 10, 13) --------------------------------------------------------------

def test_an_extra_recipient_is_a_third_party(records_repo: RecordsRepo) -> None:
    _, outsider = crypto.generate_identity()
    age_encrypt(records_repo, case_yaml("C-EXTRA001"), record_rel("C-EXTRA001"),
                recipients=[records_repo.public, outsider])
    r = check_all(records_repo)
    assert r.returncode == 1
    found = lines(r.stdout, "recipients")
    assert len(found) == 1 and "特記事項2・10・13" in found[0] and "saiken rekey" in found[0]
    assert "X25519 の宛先が 2 件あります（有効な取扱者は 1 件）" in found[0]


def test_a_designated_handler_missing_from_a_record(records_repo: RecordsRepo) -> None:
    new_case(records_repo, "C-MISS0001")
    records_repo.add_handler("otsu-02")
    r = check_all(records_repo)
    assert r.returncode == 1
    found = lines(r.stdout, "recipients")
    assert len(found) == 1 and "X25519 の宛先が 1 件あります（有効な取扱者は 2 件）" in found[0]
    assert "台帳上の宛先が現在の取扱者と違います" in found[0]  # the bucket manifest names the old set


def test_own_stanza_must_open(records_repo: RecordsRepo) -> None:
    _, stranger = crypto.generate_identity()  # same count of recipients, but not our key
    age_encrypt(records_repo, case_yaml("C-STRANGE1"), record_rel("C-STRANGE1"), recipients=[stranger])
    r = check_all(records_repo)
    assert r.returncode == 1
    found = lines(r.stdout, "recipients")
    assert len(found) == 1 and record_rel("C-STRANGE1") in found[0]
    assert "お手元の鍵（取扱者 otsu-01）で開けません（宛先から外されたか、別の鍵に差し替えられています）" in found[0]


def test_a_record_missing_from_the_manifest(records_repo: RecordsRepo) -> None:
    new_case(records_repo, "C-MANI0001")
    (records_repo.root / record_rel("C-MANI0002")).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(records_repo.root / record_rel("C-MANI0001"), records_repo.root / record_rel("C-MANI0002"))
    found = lines(check_all(records_repo).stdout, "recipients")
    assert len(found) == 1 and f"{record_rel('C-MANI0002')}:header" in found[0]
    assert f"宛先台帳（{manifest_rel('C-MANI0002')}）に記載がありません" in found[0]


def _ssh_key(folder: Path, name: str) -> str:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "fictional", "-f", str(folder / name)],
                   check=True)
    return (folder / f"{name}.pub").read_text().strip()


def test_ssh_recipients_are_matched_by_key_tag(records_repo: RecordsRepo) -> None:
    designated = _ssh_key(records_repo.root.parent, "otsu-ssh")
    records_repo.saiken("handler", "add", "--id", "otsu-ssh", "--name", "架空 ssh", "--org", "乙", "--role", "取扱者",
                        "--key", designated, check=True)
    new_case(records_repo, "C-SSH00001")  # encrypted to both active handlers
    assert not lines(check_all(records_repo).stdout, "recipients")
    other = _ssh_key(records_repo.root.parent, "stranger-ssh")  # same kind and count, other key
    age_encrypt(records_repo, case_yaml("C-SSH00002"), record_rel("C-SSH00002"),
                recipients=[records_repo.public, other])
    found = lines(check_all(records_repo).stdout, "recipients")
    assert len(found) == 1 and "C-SSH00002" in found[0]
    assert "ssh-ed25519 の宛先が有効な取扱者と違います（余分: " in found[0] and "、不足: " in found[0]


# --- schema (term 3) -------------------------------------------------------------------------------

def test_a_field_outside_the_permitted_items_is_a_term_3_error(records_repo: RecordsRepo) -> None:
    text = case_yaml("C-SCHEMA01", extra="    hobby: 釣り\n")  # fictional; saiken case new would refuse it
    age_encrypt(records_repo, text, record_rel("C-SCHEMA01"), recipients=[records_repo.public])
    r = check_all(records_repo)
    assert r.returncode == 1
    found = lines(r.stdout, "schema")
    assert len(found) == 1
    assert found[0].startswith(f"エラー [schema] 特記事項3 {record_rel('C-SCHEMA01')}:parties[0].hobby – 情報項目の定義にない項目")
    assert "saiken case edit C-SCHEMA01" in found[0]


def test_case_id_must_match_the_file_name(records_repo: RecordsRepo) -> None:
    age_encrypt(records_repo, case_yaml("C-OTHER001"), record_rel("C-FILE0001"), recipients=[records_repo.public])
    r = check_all(records_repo)
    assert r.returncode == 1
    assert any(":case_id – 記録の case_id（C-OTHER001）" in line for line in lines(r.stdout, "schema"))


# --- prohibited (term 5) ---------------------------------------------------------------------------

def test_crime_in_a_note_is_refused_with_context(records_repo: RecordsRepo) -> None:
    new_case(records_repo, "C-CRIME001", "本人は以前に逮捕されたことがあると話した")
    r = check_all(records_repo)
    assert r.returncode == 1
    found = lines(r.stdout, "prohibited")
    assert len(found) == 1
    line = found[0]
    assert line.startswith(f"エラー [prohibited] 特記事項5 {record_rel('C-CRIME001')}:history[0].note – ")
    assert "以前に【逮捕】されたこと" in line
    assert "特記事項5(3)「犯罪に関する事項」" in line
    assert "saiken case edit C-CRIME001" in line and "ledger/consents.yaml" in line


@pytest.mark.parametrize("note, category, shown", [
    ("ｷﾘｽﾄ教の集会に行くと言う", "思想・信条・宗教", "【ｷﾘｽﾄ教】"),       # half-width kana
    ("キリースト教の集会", "思想・信条・宗教", "【キリースト教】"),         # long vowel mark
    ("本人の出 身地について話があった", "社会的差別の原因", "【出 身】"),   # a space inside the word
    ("\\u524d\\u79d1があると話した", "犯罪", "【前科】"),                # YAML escapes hide nothing
    ("ぜんかについて", "犯罪", "【ぜんか】"),                             # the word's reading in kana
    ("ｾﾞﾝｶ\u200bについて", "犯罪", "【ｾﾞﾝｶ】"),                         # half-width, an invisible character after
    ("ぜんかいの電話で話した", None, None),                               # a reading inside another word (exception)
    ("システム障害で入金確認が遅れた", None, None),                       # listed exception
])
def test_folding_of_the_lexicon(records_repo: RecordsRepo, note: str, category: str | None,
                                shown: str | None) -> None:
    # written past `saiken case new`, which would already have normalised the text (NFKC)
    age_encrypt(records_repo, case_yaml("C-FOLD0001", note), record_rel("C-FOLD0001"),
                recipients=[records_repo.public])
    r = check_all(records_repo)
    found = lines(r.stdout, "prohibited")
    if category is None:
        assert r.returncode == 0 and not found, r.stdout
    else:
        assert r.returncode == 1 and len(found) == 1, r.stdout
        assert f"「{category}」に当たる語" in found[0] and shown in found[0]


def test_medical_words_are_a_warning_for_minimal_wording(records_repo: RecordsRepo) -> None:
    new_case(records_repo, "C-MED00001", "入院中のため支払いが遅れると話した")
    r = check_all(records_repo)
    assert r.returncode == 0, r.stdout
    found = lines(r.stdout, "prohibited")
    assert len(found) == 1 and found[0].startswith("警告 [prohibited]")
    assert "要配慮個人情報" in found[0] and "最小限" in found[0]


def test_an_inline_ignore_does_nothing(records_repo: RecordsRepo) -> None:
    text = case_yaml("C-IGNORE01", "前科あり # saiken: ignore").replace(
        "case_id: C-IGNORE01", "# saiken: ignore\ncase_id: C-IGNORE01  # saiken: ignore")
    r = records_repo.saiken("case", "new", "--from", "-", input=text)
    assert r.returncode == 1 and "[prohibited]" in r.stderr  # refused before it is saved
    plant_record(records_repo, text)
    r = check_all(records_repo)
    assert r.returncode == 1
    assert len(lines(r.stdout, "prohibited")) == 1


def test_a_lexicon_word_added_by_staff_is_used(records_repo: RecordsRepo) -> None:
    path = records_repo.root / "policies" / "prohibited-categories.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "  - id: 甲が認めた事項\n    item: 4\n    severity: error\n    words: []",
        "  - id: 甲が認めた事項\n    item: 4\n    severity: error\n    words: [宝くじ]"), encoding="utf-8")
    new_case(records_repo, "C-LEX00001", "宝くじが当たったと言う")
    r = check_all(records_repo)
    assert r.returncode == 1
    assert "特記事項5(4)" in lines(r.stdout, "prohibited")[0]


# --- consents: only a recorded consent of 甲 lifts exactly what it names ------------------------

def _kou(repo: RecordsRepo) -> None:
    repo.add_handler("kou-01", org="甲", role="取扱責任者")
    repo.saiken("handler", "deactivate", "kou-01", check=True)  # 甲's approver need not read records


def test_consent_lifts_exactly_the_named_case_and_category(records_repo: RecordsRepo) -> None:
    _kou(records_repo)
    new_case(records_repo, "C-CONS0001", "前科がある。信仰する宗教の話もあった")
    new_case(records_repo, "C-CONS0002", "前科がある")
    write(records_repo, "ledger/consents.yaml", """consents:
  - {id: SHODAKU-001, case_id: C-CONS0001, category: 犯罪, term: 5, date: 2021-06-01, by: kou-01}
""")
    r = check_all(records_repo)
    assert r.returncode == 1
    remaining = sorted(lines(r.stdout.split("承諾済み")[0], "prohibited"), key=lambda x: "C-CONS0001" not in x)
    assert [("C-CONS0001" in x, "思想・信条・宗教" in x) for x in remaining] == [(True, True), (False, False)]
    assert "C-CONS0002" in remaining[1] and "「犯罪」" in remaining[1]
    assert f"承諾済み（SHODAKU-001）: エラー [prohibited] 特記事項5 {record_rel('C-CONS0001')}" in r.stdout
    assert "甲の承諾により解除 1 件" in r.stdout


def test_consent_must_come_from_a_handler_of_kou(records_repo: RecordsRepo) -> None:
    new_case(records_repo, "C-CONS0003", "前科がある")
    write(records_repo, "ledger/consents.yaml", """consents:
  - {id: SHODAKU-002, case_id: C-CONS0003, category: 犯罪, term: 5, date: 2021-06-01, by: otsu-01}
  - {id: SHODAKU-003, case_id: C-CONS0003, category: 前科の話, term: 5, date: 2021-06-01, by: otsu-01}
""")
    r = check_all(records_repo)
    assert r.returncode == 1
    assert len(lines(r.stdout, "prohibited")) == 1
    bad = lines(r.stdout, "consents")
    assert any("ledger/consents.yaml:consents[0]" in x and "甲の取扱者 ID ではありません" in x for x in bad)
    assert any("consents[1]" in x and "区分 id ではありません" in x for x in bad)
    assert "承諾済み" not in r.stdout


# --- pii_outside (terms 2, 7) ----------------------------------------------------------------------

def test_a_debtors_name_in_docs_and_ledger_is_refused(records_repo: RecordsRepo) -> None:
    new_case(records_repo, "C-PII00001")
    write(records_repo, "docs/メモ.md", f"# メモ\n\n{FAMILY} {GIVEN}さんから電話あり。\n")
    write(records_repo, "ledger/exports.yaml", f"exports:\n  - {{case_id: C-PII00001, note: {GIVEN_KANA}様宛て}}\n")
    r = check_all(records_repo)
    assert r.returncode == 1
    found = lines(r.stdout, "pii_outside")
    assert "エラー [pii_outside] 特記事項2・7 docs/メモ.md:3行目 – 事案 C-PII00001 の当事者の氏名が記録の外に書かれています" in found[0]
    assert "ledger/exports.yaml:2行目" in found[1] and "氏名（カナ）" in found[1]
    assert FAMILY not in r.stdout and GIVEN not in r.stdout  # the message never repeats the data


@pytest.mark.parametrize("text, kind", [
    ("住所は試験町9-8-7", "住所"),
    ("電話 03 0000 0009", "電話番号"),
    ("hoshiko@EXAMPLE.invalid へ送付", "メールアドレス"),
    ("生年月日 平成8年7月15日", "生年月日"),
    ("生年月日 1996/07/15", "生年月日"),
])
def test_other_personal_data_in_ledger(records_repo: RecordsRepo, text: str, kind: str) -> None:
    new_case(records_repo, "C-PII00002")
    write(records_repo, "ledger/incidents.yaml", f"incidents:\n  - summary: {text}\n")
    r = check_all(records_repo)
    assert r.returncode == 1
    assert any(f"の当事者の{kind}が記録の外" in x for x in lines(r.stdout, "pii_outside")), r.stdout


@pytest.mark.parametrize("text, kind", [
    (f"{GIVEN} {FAMILY}さん", "氏名"),                 # given name first (before: two part warnings)
    (f"債務者 {FAMILY}・{GIVEN} 氏", "氏名"),          # with a middle dot
    (f"{FAMILY}･{GIVEN}", "氏名"),                     # a half-width one
    ("ほしこ しけんだに", "氏名（カナ）"),
    ("ｼｹﾝﾀﾞﾆ・ﾎｼｺ", "氏名（カナ）"),
])
def test_a_full_name_the_other_way_round_or_with_a_dot_is_an_error(records_repo: RecordsRepo, text: str,
                                                                     kind: str) -> None:
    new_case(records_repo, "C-PII00014")
    write(records_repo, "ledger/incidents.yaml", f"incidents:\n  - summary: {text}\n")
    r = check_all(records_repo)
    assert r.returncode == 1, r.stdout
    assert any(f"エラー [pii_outside]" in x and f"の当事者の{kind}が記録の外" in x
               for x in lines(r.stdout, "pii_outside")), r.stdout


def test_the_term_caches_belong_to_the_code_that_made_them(tmp_path: Path) -> None:
    """Terms and clean results kept by an older saiken (fewer forms of an address, say) must not be
    taken by a newer one whose version number is the same: both cache names carry a digest of the
    checking code. A copy of the package with one line added to pii_terms gives another digest."""
    from saiken.checks import cache
    import saiken

    copy = tmp_path / "code"
    shutil.copytree(Path(saiken.__file__).parent, copy / "saiken", ignore=shutil.ignore_patterns("__pycache__"))
    ask = [sys.executable, "-c", "from saiken.checks import cache; print(cache.code_digest())"]
    env = {**os.environ, "PYTHONPATH": str(copy)}
    same = subprocess.run(ask, env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert same == cache.code_digest()
    with (copy / "saiken" / "checks" / "pii_terms.py").open("a") as fh:
        fh.write("\n# one more form\n")
    changed = subprocess.run(ask, env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert changed != same


def test_term_stores_of_older_code_do_not_pile_up(records_repo: RecordsRepo) -> None:
    """Each upgrade names new term stores (the code digest): the older ones, 190 MB each at 100,000
    records, are removed when a new one is written – the newest two of each kind stay."""
    new_case(records_repo, "C-PRUNE001")
    folder = records_repo.root / ".saiken-cache"
    folder.mkdir(exist_ok=True)
    for n, kind in enumerate(["terms", "terms", "terms", "termset", "termset"]):
        old = folder / f"{kind}-{n:016x}.age"
        old.write_bytes(b"age-encryption.org/v1\n")  # from an older saiken
        os.utime(old, (1_600_000_000 + n, 1_600_000_000 + n))
    assert check_all(records_repo, "--no-cache").returncode == 0  # makes the quick set afresh, no hit
    message = records_repo.root / "msg.txt"
    message.write_text(f"{FAMILY}{GIVEN}さんに架電\n", encoding="utf-8")
    assert records_repo.saiken("check", "--message-file", str(message), "--only", "pii_outside").returncode == 1
    for kind, newest_old in (("terms", "terms-0000000000000002.age"), ("termset", "termset-0000000000000004.age")):
        left = sorted(p.name for p in folder.glob(f"{kind}-*.age"))
        assert len(left) == 2 and newest_old in left, left


BUILDING_ADDRESS = "神奈川県横浜市旭区試験台31丁目26番13号 架空ハイツ680"  # 架空


@pytest.mark.parametrize("text", [
    "訪問先は試験台31丁目26番13号",          # without the building (before: only the whole line matched)
    "旭区試験台31-26-13 に送付",             # the numbers as hyphens, with the ward of the city
    "試験台３１－２６－１３",                # full width
    "試験台31ー26ー13",                      # ー for the dashes (folded away)
    "試験台31−26−13",                        # minus signs
    "試験台31丁目26-13",
    "試験台31丁目26番地13",
])
def test_an_address_written_another_way_is_still_the_address(records_repo: RecordsRepo, text: str) -> None:
    """The address of a party written without its building or with its street numbers in another
    common form passed the term check: only the whole line and its part after the city matched."""
    records_repo.saiken("case", "new", "--from", "-", check=True,
                        input=case_yaml("C-PII00012").replace("東京都新宿区試験町9-8-7", BUILDING_ADDRESS))
    write(records_repo, "ledger/incidents.yaml", f"incidents:\n  - summary: {text}\n")
    r = check_all(records_repo)
    assert r.returncode == 1, r.stdout
    assert any("の当事者の住所が記録の外" in x for x in lines(r.stdout, "pii_outside")), r.stdout


def test_a_town_or_a_block_alone_is_not_an_address(records_repo: RecordsRepo) -> None:
    records_repo.saiken("case", "new", "--from", "-", check=True,
                        input=case_yaml("C-PII00013").replace("東京都新宿区試験町9-8-7", BUILDING_ADDRESS))
    write(records_repo, "ledger/incidents.yaml", "incidents:\n  - summary: 試験台31丁目の集会所、旭区の窓口\n")
    r = check_all(records_repo)
    assert not lines(r.stdout, "pii_outside"), r.stdout


def test_a_name_in_a_file_name_and_in_the_commit_message(records_repo: RecordsRepo) -> None:
    new_case(records_repo, "C-PII00003")
    write(records_repo, f"docs/{FAMILY}{GIVEN}.md", "# 交渉の段取り\n")
    msg = records_repo.root.parent / "COMMIT_EDITMSG"
    msg.write_text(f"{FAMILY}さんの分納を記録\n\n# Please enter the commit message\n", encoding="utf-8")
    r = records_repo.saiken("check", f"docs/{FAMILY}{GIVEN}.md", "--message-file", str(msg))
    assert r.returncode == 1
    found = lines(r.stdout, "pii_outside")
    assert any(":ファイル名 – ファイル名に事案 C-PII00003 の当事者の氏名" in x for x in found)
    assert any("(コミットメッセージ):1行目" in x and "もう一度 `git commit`" in x for x in found)


def test_the_seed_and_policies_raise_no_false_positive(records_repo: RecordsRepo) -> None:
    new_case(records_repo, "C-PII00004")
    (records_repo.root / "docs").mkdir()
    shutil.copy(SEED, records_repo.root / "docs" / "seed.md")
    shutil.copy(SEED, records_repo.root / "README.md")
    r = check_all(records_repo)
    assert r.returncode == 0, r.stdout
    assert not lines(r.stdout, "pii_outside")


def test_a_handlers_own_name_is_not_a_debtors(records_repo: RecordsRepo) -> None:
    # conftest's handlers are named 「架空 <id>」: a debtor with the same family name must not make
    # policies/handlers.yaml an error, while the debtor's full name still is one
    text = case_yaml("C-PII00005").replace(f"family: {FAMILY}", "family: 架空")
    records_repo.saiken("case", "new", "--from", "-", input=text, check=True)
    assert check_all(records_repo).returncode == 0
    write(records_repo, "docs/x.md", f"架空 {GIVEN}\n")
    assert check_all(records_repo).returncode == 1


def test_generic_patterns_without_any_key(records_repo: RecordsRepo) -> None:
    write(records_repo, "docs/memo.md", "マイナンバー: 1234-5678-9018\n連絡は TEL 090-0000-1234\n"
          "〒169-0000\n区の代表 電話 03-0000-0000\n受付番号 1234-5678-9012\n")
    write(records_repo, "policies/personal-data.yaml",
          "public: ['03-0000-0000']\n")
    r = check_all(records_repo, "--format", "json", env={"SAIKEN_IDENTITY": ""})
    assert r.returncode == 1
    report = json.loads(r.stdout)
    got = [(f["severity"], f["where"], f["message"].split("（")[0]) for f in report["findings"]
           if f["check"] == "pii_outside"]
    assert got == [("error", "1行目", "マイナンバーらしい値"), ("warning", "2行目", "電話番号らしい値"),
                   ("warning", "3行目", "郵便番号らしい値")]
    assert "1234-5678" not in r.stdout and "****-****-9018" in r.stdout


def test_my_number_check_digit() -> None:
    assert my_number_valid("123456789018")
    assert not my_number_valid("123456789012")
    assert not my_number_valid("12345678901")


def test_json_output(records_repo: RecordsRepo) -> None:
    new_case(records_repo, "C-JSON0001", "前科あり")
    r = records_repo.saiken("check", record_rel("C-JSON0001"), "--format", "json")
    assert r.returncode == 1
    data = json.loads(r.stdout)
    assert data["errors"] == 1 and data["warnings"] == 0 and data["files"] == 1
    f = data["findings"][0]
    assert (f["check"], f["terms"], f["severity"], f["file"], f["where"]) == \
        ("prohibited", [5], "error", record_rel("C-JSON0001"), "history[0].note")
    assert set(data["checks"]) == set(registry())


# --- result cache: clean inputs only, hashes only ----------------------------------------------

def test_cache_skips_clean_inputs_and_holds_no_plaintext(records_repo: RecordsRepo) -> None:
    new_case(records_repo, "C-CACHE001")
    new_case(records_repo, "C-CACHE002", "前科あり")
    first = check_all(records_repo)
    assert first.returncode == 1 and len(lines(first.stdout, "prohibited")) == 1
    folder = records_repo.root / ".saiken-cache"
    clean, terms = sorted(folder.glob("clean-*.txt")), sorted(folder.glob("terms*-*.age"))
    assert len(clean) == 1 and len(terms) == 2 and len(list(folder.iterdir())) == 4
    # the folder ignores itself: `git add -A` never stages it, whatever the repository's .gitignore says
    assert (folder / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == "*"
    records_repo.git("add", "-A")
    assert ".saiken-cache" not in records_repo.git("status", "--porcelain", "--ignored=no")
    assert all(oct(p.stat().st_mode)[-3:] == "600" for p in (*clean, *terms))
    content = clean[0].read_bytes()
    assert content and all(len(k) == 32 and set(k) <= set(b"0123456789abcdef") for k in content.split())
    for t in terms:  # the names kept for pii_outside (exact terms, quick set) are age ciphertext
        agefile.parse(t.read_bytes())
    for data in (content, *(t.read_bytes() for t in terms)):
        for secret in (FAMILY, GIVEN, FAMILY_KANA, "前科", "試験町", "hoshiko"):
            assert secret.encode() not in data
    # the finding is recomputed every time; clean results come from the cache; the cache folder
    # itself is not an input (same file count although it now exists)
    second = check_all(records_repo)
    assert second.stdout == first.stdout and second.returncode == 1


def test_quick_term_set_never_hides_a_name(records_repo: RecordsRepo) -> None:
    """The quick set of terms (term_cache) lets a hook skip the exact index; it must never hide a
    name: not of a record it does not cover yet, and a stale term of a removed record is no finding."""
    new_case(records_repo, "C-QUICK001")
    message = records_repo.root / "msg.txt"

    def check_message(text: str) -> subprocess.CompletedProcess[str]:
        message.write_text(text, encoding="utf-8")
        return records_repo.saiken("check", "--message-file", str(message), "--only", "pii_outside")

    assert check_message("事案 C-QUICK001 を更新\n").returncode == 0
    assert len(list((records_repo.root / ".saiken-cache").glob("termset-*.age"))) == 1
    r = check_message(f"{FAMILY}{GIVEN}さんに架電\n")
    assert r.returncode == 1 and "事案 C-QUICK001 の当事者の氏名" in r.stdout
    # a record the quick set does not cover yet
    records_repo.saiken("case", "new", "--from", "-", check=True,
                        input=case_yaml("C-QUICK002").replace(FAMILY, "仮野").replace(FAMILY_KANA, "カリノ"))
    r = check_message("仮野星子さんに架電\n")
    assert r.returncode == 1 and "事案 C-QUICK002 の当事者の氏名" in r.stdout
    # C-QUICK001 removed: its name stays in the quick set until the exact path writes it afresh
    (records_repo.root / record_rel("C-QUICK001")).unlink()
    r = check_message(f"{FAMILY}{GIVEN}さんに架電\n")
    assert r.returncode == 0 and "C-QUICK001" not in r.stdout, r.stdout
    # the stale full name is the longest term of the set at that place; the exact index is made of
    # every term of the set that occurs there, so the family name of a record still present is found
    records_repo.saiken("case", "new", "--from", "-", check=True,
                        input=case_yaml("C-QUICK003").replace(GIVEN, "月子").replace(GIVEN_KANA, "ツキコ"))
    r = check_message(f"{FAMILY}{GIVEN}さんに架電\n")
    assert r.returncode == 0 and "事案 C-QUICK003 の当事者の氏名の一部" in r.stdout and "C-QUICK001" not in r.stdout, r.stdout


def test_forked_workers_report_exactly_what_one_process_does(records_repo: RecordsRepo) -> None:
    """Many files are checked in forked workers (from SAIKEN_PARALLEL_MIN files on, 400 by default);
    with the threshold at 1 a small repository takes that path: same findings, same order, and a
    policy error raised inside a worker reaches the user as the same Japanese message."""
    new_case(records_repo, "C-FORK0001")
    new_case(records_repo, "C-FORK0002", "前科あり")
    write(records_repo, record_rel("C-FORK0003"), "plain\n")
    write(records_repo, "ledger/memo.md", f"{FAMILY}{GIVEN}さんに電話\n")
    one = check_all(records_repo, "--no-cache", "--format", "json")
    forked = check_all(records_repo, "--no-cache", "--format", "json", env={"SAIKEN_PARALLEL_MIN": "1"})
    assert one.returncode == forked.returncode == 1
    assert forked.stdout == one.stdout and forked.stderr == one.stderr
    assert {f["check"] for f in json.loads(one.stdout)["findings"]} >= {"plaintext", "prohibited", "pii_outside"}
    # a commit message alone: the term cache opens every record itself (in workers), no cache yet
    message = records_repo.root.parent / "msg.txt"
    message.write_text(f"{FAMILY}{GIVEN}さんに電話\n", encoding="utf-8")
    runs = []
    for env in ({"SAIKEN_PARALLEL_MIN": "1"}, {}):
        shutil.rmtree(records_repo.root / ".saiken-cache", ignore_errors=True)
        runs.append(records_repo.saiken("check", "--message-file", str(message), "--only", "pii_outside", env=env))
    assert runs[0].returncode == runs[1].returncode == 1 and runs[0].stdout == runs[1].stdout
    assert "(コミットメッセージ):1行目" in runs[0].stdout and "C-FORK0001" in runs[0].stdout
    write(records_repo, "policies/prohibited-categories.yaml", "categories: 1\n")
    one = check_all(records_repo, "--no-cache")
    forked = check_all(records_repo, "--no-cache", env={"SAIKEN_PARALLEL_MIN": "1"})
    assert one.returncode == forked.returncode == 1 and "Traceback" not in forked.stderr
    assert forked.stderr == one.stderr and "収集禁止事項の語彙の書き方が正しくありません" in forked.stderr


def test_cache_never_hides_a_change(records_repo: RecordsRepo) -> None:
    new_case(records_repo, "C-CACHE003", "釣りの話をした")
    assert check_all(records_repo).returncode == 0
    # a changed policy (the lexicon) empties the cache: the clean record is checked again
    path = records_repo.root / "policies" / "prohibited-categories.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("words: []", "words: [釣り]"), encoding="utf-8")
    r = check_all(records_repo)
    assert r.returncode == 1 and "特記事項5(4)" in r.stdout
    # a changed file is a new blob: checked again
    write(records_repo, "records/C-CACHE004.yaml", "plain\n")
    r = check_all(records_repo)
    assert lines(r.stdout, "plaintext")
    assert check_all(records_repo, "--no-cache").stdout == r.stdout


def test_cache_never_trusts_git_where_git_would_not_notice(records_repo: RecordsRepo) -> None:
    """`check --all` takes the blob id of a file git finds unchanged from the index (no read). A
    changed file git is told to ignore (assume-unchanged, skip-worktree), or one rewritten to the
    same size with its old modification time, must still be read and checked."""
    for n in range(1, 4):
        new_case(records_repo, f"C-GITID00{n}")
        hour_ago = time.time() - 3600  # older than the index: git trusts its stat data, no content compare
        os.utime(records_repo.root / record_rel(f"C-GITID00{n}"), (hour_ago, hour_ago))
    records_repo.git("add", "-A")
    records_repo.git("commit", "-q", "-m", "架空の事案を追加")
    assert check_all(records_repo).returncode == 0  # fills the cache
    records_repo.git("update-index", "--assume-unchanged", record_rel("C-GITID001"))
    records_repo.git("update-index", "--skip-worktree", record_rel("C-GITID002"))
    records_repo.git("config", "core.trustctime", "false")  # saiken compares ctime all the same
    for n in range(1, 4):
        path = records_repo.root / record_rel(f"C-GITID00{n}")
        path.parent.mkdir(parents=True, exist_ok=True)
        size, stat = len(path.read_bytes()), path.stat()
        plain = case_yaml(f"C-GITID00{n}").encode()
        path.write_bytes((plain + b"#" * size)[:size] if len(plain) < size else plain[:size])
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same size, same mtime: only ctime tells
    r = check_all(records_repo)
    found = {line.split(" – ")[0] for line in lines(r.stdout, "plaintext")}
    assert r.returncode == 1 and len(found) == 3, r.stdout
    assert check_all(records_repo, "--no-cache").stdout == r.stdout


# --- evidence due dates (terms 11, 12, 15–19) – repository-level, `check --all` only ------------

def test_training_and_audit_due_each_fiscal_year(records_repo: RecordsRepo) -> None:
    designated_at_start(records_repo)
    r = check_all(records_repo, "--as-of", "2021-06-01")
    assert r.returncode == 0, r.stdout  # reminders, not blockers
    found = lines(r.stdout, "evidence")
    assert found[0] == ("警告 [evidence] 特記事項18 ledger/trainings.yaml:令和3年度（2021年度） – 今年度（令和3年度（2021年度））の"
                        "従事者教育を受けていない有効な取扱者がいます（期限 2022-03-31）: otsu-01。実施したら "
                        "`saiken ledger training --date YYYY-MM-DD --attendees otsu-01 --topic 内容` で記録してください。")
    assert "特記事項15・16・17 ledger/audits.yaml" in found[1]
    write(records_repo, "ledger/trainings.yaml", "trainings:\n  - {date: 2021-05-20, attendees: [otsu-01], topic: 研修}\n")
    r = check_all(records_repo, "--as-of", "2022-06-01")
    found = lines(r.stdout, "evidence")
    assert [x.split(" – ")[0] for x in found] == [
        "警告 [evidence] 特記事項18 ledger/trainings.yaml:令和4年度（2022年度）",
        "警告 [evidence] 特記事項15・16・17 ledger/audits.yaml:令和3年度（2021年度）",
        "警告 [evidence] 特記事項15・16・17 ledger/audits.yaml:令和4年度（2022年度）"]
    assert "令和3年度（2021年度）の甲による確認（立入り調査等）・監査の記録がありません" in found[1]


def test_evidence_is_not_judged_on_a_list_of_files(records_repo: RecordsRepo) -> None:
    write(records_repo, "ledger/incidents.yaml", "incidents:\n  - {id: JIKO-1, occurred: 2021-07-01}\n")
    r = records_repo.saiken("check", "ledger/incidents.yaml")
    assert r.returncode == 0 and not lines(r.stdout, "evidence")


def test_an_incident_needs_notice_and_written_report(records_repo: RecordsRepo) -> None:
    write(records_repo, "ledger/incidents.yaml",
          "incidents:\n  - {id: JIKO-1, occurred: 2021-07-01, notified: 2021-07-01}\n")
    # the written report is due 30 days after discovery (policies/incidents.yaml; here the occurrence)
    r = check_all(records_repo, "--as-of", "2021-07-31")
    assert not [x for x in lines(r.stdout, "evidence") if x.startswith("エラー")]
    r = check_all(records_repo, "--as-of", "2021-08-01")
    assert r.returncode == 1
    found = [x for x in lines(r.stdout, "evidence") if x.startswith("エラー")]
    assert found == ["エラー [evidence] 特記事項19 ledger/incidents.yaml:incidents[0]（JIKO-1） – 事故 JIKO-1 の書面による"
                     "事故報告が期限（2021-07-31）を過ぎても記録されていません。提出したら "
                     "`saiken incident report JIKO-1 --report YYYY-MM-DD` で記録してください。"]


def test_after_the_contract_ends_otsu_is_taken_off_and_erasure_is_certified(records_repo: RecordsRepo) -> None:
    designated_at_start(records_repo)
    contract = records_repo.root / "policies" / "contract.yaml"
    contract.write_text(contract.read_text(encoding="utf-8").replace("end: null", "end: 2022-03-31"), encoding="utf-8")
    new_case(records_repo, "C-END00001")  # encrypted to otsu-01 (乙), the only handler
    write(records_repo, "ledger/media.yaml", "media:\n  - {id: CDR-1, kind: CD-R, handed_over: 2021-04-05}\n")
    assert not [x for x in lines(check_all(records_repo, "--as-of", "2022-03-31").stdout, "evidence")
                if x.startswith("エラー")]
    r = check_all(records_repo, "--as-of", "2022-04-01")
    assert r.returncode == 1
    errors = [x.split(" – ")[0] for x in lines(r.stdout, "evidence") if x.startswith("エラー")]
    assert errors == ["エラー [evidence] 特記事項11 ledger/media.yaml:media[0]（CDR-1）",
                      "エラー [evidence] 特記事項11・12 policies/handlers.yaml", "エラー [evidence] 特記事項11・12 records/",
                      "エラー [evidence] 特記事項11・12 ledger/erasures.yaml"]
    assert "1 件の記録が乙の鍵でも開ける暗号化のままです（C-END00001）" in r.stdout
    (records_repo.root / record_rel("C-END00001")).unlink()
    records_repo.add_handler("kou-01", org="甲", role="取扱責任者")
    records_repo.saiken("handler", "deactivate", "otsu-01", "--on", "2022-03-31", check=True)
    write(records_repo, "ledger/media.yaml", "media:\n  - {id: CDR-1, kind: CD-R, handed_over: 2021-04-05, returned: 2022-03-30}\n")
    write(records_repo, "ledger/erasures.yaml",
          "erasures:\n  - {date: 2022-04-01, scope: 全記録, method: 鍵の破棄, by: otsu-01, certificate: 2022-04-02}\n")
    r = check_all(records_repo, "--as-of", "2022-04-05", "--only", "evidence")
    assert r.returncode == 0, r.stdout


# --- the same runner over the index and over commits (no work tree) ----------------------------

def test_staged_checks_the_index_version(records_repo: RecordsRepo) -> None:
    new_case(records_repo, "C-STAGE001")
    records_repo.git("add", "-A")
    records_repo.git("commit", "-qm", "C-STAGE001 を登録")
    write(records_repo, "records/C-STAGE002.yaml", case_yaml("C-STAGE002"))
    records_repo.git("add", "records/C-STAGE002.yaml")
    (records_repo.root / "records" / "C-STAGE002.yaml").unlink()  # gone from the work tree, still staged
    write(records_repo, "records/C-STAGE003.yaml", "not staged\n")  # in the work tree only
    r = records_repo.saiken("check", "--staged")
    assert r.returncode == 1
    found = lines(r.stdout, "plaintext")
    assert len(found) == 1 and "records/C-STAGE002.yaml" in found[0]
    assert "検査したファイル 1 件" in r.stdout


def test_commit_files_in_a_bare_repository(records_repo: RecordsRepo, tmp_path: Path) -> None:
    """What a pre-receive hook has: a bare repository and commit ids. Policies come from the commit."""
    from saiken.checks.sources import commit_files, tree_context

    new_case(records_repo, "C-BARE0001", "前科あり")
    write(records_repo, "docs/メモ.md", f"{FAMILY}{GIVEN}\n")
    records_repo.git("add", "-A")
    records_repo.git("commit", "-qm", "登録")
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(records_repo.root), str(bare)], check=True)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=bare, capture_output=True, text=True,
                            check=True).stdout.strip()
    files, entries = commit_files(bare, commit)
    ctx = tree_context(bare, entries, crypto.load_identities([records_repo.identity]), files)
    report = run(files, ctx)
    got = sorted((f.check, f.file) for f in report.errors)
    assert got == [("pii_outside", "docs/メモ.md"), ("prohibited", record_rel("C-BARE0001"))]
    assert all(f.blob_id and len(f.blob_id) == 40 for f in files)
    # only the paths a commit changed, with names still taken from every record of the tree
    files, entries = commit_files(bare, commit, paths=["docs/メモ.md"])
    report = run(files, tree_context(bare, entries, crypto.load_identities([records_repo.identity]), files))
    assert [(f.check, f.file) for f in report.errors] == [("pii_outside", "docs/メモ.md")]


def test_names_kept_between_runs_follow_the_records(records_repo: RecordsRepo) -> None:
    new_case(records_repo, "C-TERMS001")
    assert check_all(records_repo).returncode == 0  # fills the encrypted term cache
    write(records_repo, "docs/memo.md", f"{FAMILY}{GIVEN}\n")
    assert any("C-TERMS001" in x for x in lines(check_all(records_repo).stdout, "pii_outside"))
    (records_repo.root / record_rel("C-TERMS001")).unlink()  # the record is gone: so is its name
    assert not lines(check_all(records_repo).stdout, "pii_outside")


def test_a_lone_given_name_is_a_warning_not_a_block(records_repo: RecordsRepo) -> None:
    new_case(records_repo, "C-PART0001")
    write(records_repo, "docs/例.md", f"記入例: 甲野 {GIVEN}\n")  # a common given name alone, e.g. in an example
    r = check_all(records_repo)
    assert r.returncode == 0, r.stdout
    found = lines(r.stdout, "pii_outside")
    assert len(found) == 1 and found[0].startswith("警告 [pii_outside] 特記事項2・7 docs/例.md:1行目")
    assert "氏名の一部（姓または名）と同じ語" in found[0]

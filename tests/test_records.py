"""Case records through the real CLI, and the issue's list of bad input: each refused with a clear
Japanese message naming the file and field, a non-zero exit, and nothing written."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from saiken.core.layout import manifest_rel, record_rel

from conftest import RecordsRepo

CASE = "C-TEST0001"


def snapshot(repo: RecordsRepo) -> dict[str, bytes]:
    """Every file of the repository and next to it (keys, temp files), outside .git and the local
    access log (.saiken/: an attempt to read a record is logged, whether or not it succeeds)."""
    base = repo.root.parent
    return {str(p.relative_to(base)): p.read_bytes() for p in sorted(base.rglob("*"))
            if p.is_file() and not {".git", ".saiken"} & set(p.relative_to(base).parts)}


def new_from(repo: RecordsRepo, text: str, name: str = "事案.yaml", *extra: str):
    path = repo.root.parent / name
    path.write_text(text, encoding="utf-8")
    return repo.saiken("case", "new", "--from", str(path), *extra)


def assert_refused(repo: RecordsRepo, result, before: dict[str, bytes], *needles: str) -> None:
    assert result.returncode != 0, result.stdout
    assert result.stderr.startswith("エラー: "), result.stderr
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in result.stderr, (needle, result.stderr)
    assert snapshot(repo) == before


@pytest.fixture
def stored(records_repo: RecordsRepo, fictional_case_text: str) -> RecordsRepo:
    records_repo.saiken("case", "new", "--from", "-", input=fictional_case_text, check=True)
    return records_repo


# --- what a record may hold ---------------------------------------------------------------------

BAD_RECORDS = [
    pytest.param("status: 督促中", "status: [督促中", "YAML として読めません（", id="malformed-yaml"),
    pytest.param("    sex: 男\n", "    sex: 男\n    religion: 架空教\n",
                 "parties[0].religion: 情報項目の定義にない項目です", id="field-outside-permitted-items"),
    pytest.param("status: 督促中", "status: 督促中\nbank_account: 0000000", "bank_account: 情報項目の定義にない項目です",
                 id="top-level-field-outside"),
    pytest.param("principal: １０８００００", "principal: 百万円", "claim.principal: 整数で書いてください（百万円）",
                 id="wrong-type-amount"),
    pytest.param("parties:\n  - id: p1", "parties: 架空一郎\nx:\n  - id: p1", "parties: 「- 」で始まる繰り返しで書いてください",
                 id="wrong-type-list"),
    pytest.param("acknowledged: true", "acknowledged: はい", "history[0].acknowledged: true か false で書いてください",
                 id="wrong-type-bool"),
    pytest.param('phone: "03-0000-0001"', "phone: 0300000001", "parties[0].contact.phone: 電話番号は引用符で囲んで",
                 id="wrong-type-phone-number"),
    pytest.param("sex: 男", "sex: male", "parties[0].sex: 「male」は使えません。次のいずれかです: 男、女、不明",
                 id="closed-list"),
    pytest.param("birth_date: 1995-04-02", "birth_date: 2021-02-30",
                 "parties[0].birth_date: 日付として正しくありません（2021-02-30）", id="impossible-date"),
    pytest.param("contract_date: 2012-03-15", "contract_date: 2012-13-01",
                 "claim.contract_date: 日付として正しくありません（2012-13-01）", id="impossible-month"),
    pytest.param("at: 2021-05-10 10:00", "at: 2021-05-10 25:00", "history[0].at: 日時として正しくありません",
                 id="impossible-time"),
    pytest.param("principal: １０８００００", "principal: -1080000", "claim.principal: 金額は 0 以上の整数（円）です",
                 id="negative-amount"),
    pytest.param("amount: 9000", "amount: -9000", "claim.payments[0].amount: 金額は 0 以上の整数（円）です",
                 id="negative-payment"),
    pytest.param("amount: 9000", "amount: 9000.5", "claim.payments[0].amount: 整数で書いてください（小数は使えません）",
                 id="non-integer-amount"),
    pytest.param("count: 120", "count: 12.5", "claim.repayment.count: 整数で書いてください", id="non-integer-count"),
    pytest.param("    role: guarantor", "    role: heir", "parties[1].heir_of: 相続人には、相続元の当事者番号",
                 id="heir-without-source"),
    pytest.param("by: otsu-01", "by: otsu-99", "history[0].by: 取扱者「otsu-99」は policies/handlers.yaml にいません",
                 id="unknown-handler"),
    pytest.param("status: 督促中\n", "", "status: 必須の項目がありません", id="missing-required"),
]


@pytest.mark.parametrize(("old", "new", "message"), BAD_RECORDS)
def test_bad_record_is_refused_naming_file_and_field(records_repo: RecordsRepo, fictional_case_text: str,
                                                      old: str, new: str, message: str) -> None:
    assert old in fictional_case_text
    text = fictional_case_text.replace(old, new, 1)
    before = snapshot(records_repo)
    source = records_repo.root.parent / "事案.yaml"
    source.write_text(text, encoding="utf-8")
    before = snapshot(records_repo)
    r = records_repo.saiken("case", "new", "--from", str(source))
    assert_refused(records_repo, r, before, f"{source}: ", message)
    assert not (records_repo.root / "records").exists() or not any((records_repo.root / "records").iterdir())


def test_full_width_digits_are_normalised_not_refused(records_repo: RecordsRepo, fictional_case_text: str) -> None:
    text = (fictional_case_text.replace("birth_date: 1995-04-02", "birth_date: １９９５－０４－０２")
            .replace('phone: "03-0000-0001"', 'phone: "０３-００００-０００１"')
            .replace("count: 120", "count: １２０")
            .replace("amount: 9000", "amount: \"９，０００円\""))
    assert "principal: １０８００００" in text  # the fixture already has one
    r = new_from(records_repo, text)
    assert r.returncode == 0, r.stderr
    shown = records_repo.saiken("case", "show", CASE, check=True).stdout
    assert "principal: 1080000" in shown and "birth_date: 1995-04-02" in shown
    assert '"03-0000-0001"' in shown and "count: 120" in shown and "amount: 9000" in shown
    assert "１" not in shown
    data = json.loads(records_repo.saiken("case", "show", CASE, "--format", "json", check=True).stdout)
    assert data["claim"]["principal"] == 1080000 and data["claim"]["payments"][0]["amount"] == 9000
    assert data["parties"][0]["birth_date"] == "1995-04-02"


def test_half_width_kana_becomes_full_width(records_repo: RecordsRepo, fictional_case_text: str) -> None:
    r = new_from(records_repo, fictional_case_text.replace("family_kana: カクウ", "family_kana: ｶｸｳ"))
    assert r.returncode == 0, r.stderr
    assert "family_kana: カクウ" in records_repo.saiken("case", "show", CASE, check=True).stdout


def test_alias_bomb_is_refused_quickly(records_repo: RecordsRepo, fictional_case_text: str) -> None:
    lines = ['a0: &a0 ["架空", "架空", "架空", "架空", "架空", "架空", "架空", "架空", "架空"]']
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    bomb = "\n".join(lines) + "\n" + fictional_case_text
    before = snapshot(records_repo)
    source = records_repo.root.parent / "bomb.yaml"
    source.write_text(bomb, encoding="utf-8")
    before = snapshot(records_repo)
    r = records_repo.saiken("case", "new", "--from", str(source))  # 9**10 strings if expanded
    assert_refused(records_repo, r, before, f"{source}: ", "YAML のエイリアス（& や *）は記録では使えません")


def test_record_over_the_size_limit_is_refused(records_repo: RecordsRepo, fictional_case_text: str) -> None:
    big = fictional_case_text + "".join(f"# 架空の長いコメント {i:07d} " + "あ" * 80 + "\n" for i in range(5000))
    assert len(big.encode()) > 1048576
    source = records_repo.root.parent / "big.yaml"
    source.write_text(big, encoding="utf-8")
    before = snapshot(records_repo)
    r = records_repo.saiken("case", "new", "--from", str(source))
    assert_refused(records_repo, r, before, f"{source}: ", "記録が大きすぎます（上限 1048576 バイト）")


def test_alias_bomb_inside_an_encrypted_record_is_refused(stored: RecordsRepo) -> None:
    # A record written by someone else's tool (here the age CLI) gets no trust either.
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b]\n"
    path = stored.root / record_rel("C-BOMB0001")
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["age", "-r", stored.public, "-o", str(path)], input=bomb.encode(), check=True)
    before = snapshot(stored)
    for args in (("case", "show", "C-BOMB0001"), ("case", "list")):
        r = stored.saiken(*args)
        assert_refused(stored, r, before, f"{record_rel('C-BOMB0001')}: ", "YAML のエイリアス")


# --- the encrypted file -------------------------------------------------------------------------

def _damage(path: Path, how: str) -> None:
    data = bytearray(path.read_bytes())
    if how == "truncated":
        data = data[: len(data) - 20]
    elif how == "payload-bit":
        data[-5] ^= 0x01
    elif how == "header-mac":
        at = data.index(b"\n--- ") + 10
        data[at] = ord("A") if data[at] != ord("A") else ord("B")
    elif how == "not-age":
        data = bytearray(b"case_id: C-TEST0001\n")
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(("how", "message"), [
    ("truncated", "本文が壊れているか途中で切れています"),
    ("payload-bit", "本文が壊れているか途中で切れています"),
    ("header-mac", "ヘッダ"),
    ("not-age", "age"),
])
def test_corrupted_or_truncated_age_file(stored: RecordsRepo, how: str, message: str) -> None:
    path = stored.root / record_rel(CASE)
    path.parent.mkdir(parents=True, exist_ok=True)
    _damage(path, how)
    before = snapshot(stored)
    for args in (("case", "show", CASE), ("case", "show", CASE, "--format", "json"), ("case", "list")):
        r = stored.saiken(*args)
        assert_refused(stored, r, before, f"{record_rel(CASE)}: ", message)
        assert "架空" not in r.stdout + r.stderr


def test_corrupted_record_cannot_be_edited(stored: RecordsRepo, tmp_path: Path) -> None:
    path = stored.root / record_rel(CASE)
    path.parent.mkdir(parents=True, exist_ok=True)
    _damage(path, "truncated")
    before = snapshot(stored)
    r = stored.saiken("case", "edit", CASE, env={"EDITOR": "true", "SAIKEN_TMPDIR": "/dev/shm"})
    assert_refused(stored, r, before, f"{record_rel(CASE)}: ", "途中で切れています")


def test_record_no_identity_of_yours_opens(stored: RecordsRepo) -> None:
    stranger = stored.root.parent / "stranger.key"
    r = stored.saiken("keygen", "-o", str(stranger))
    assert r.returncode == 0, r.stderr
    before = snapshot(stored)
    for args in (("case", "show", CASE), ("case", "list")):
        r = stored.saiken(*args, env={"SAIKEN_IDENTITY": str(stranger)})
        assert_refused(stored, r, before, f"{record_rel(CASE)}: ",
                       "お手元の鍵ではこのファイルを開けません（宛先に含まれていません）", "saiken rekey")


@pytest.mark.parametrize("where", ["env", "default"])
def test_missing_identity_file(stored: RecordsRepo, where: str) -> None:
    missing = stored.root.parent / "no-such.key"
    env = {"SAIKEN_IDENTITY": str(missing)} if where == "env" else {"SAIKEN_IDENTITY": ""}
    expected = str(missing) if where == "env" else str(Path(stored.env["HOME"]) / ".config" / "saiken" / "identity.txt")
    before = snapshot(stored)
    r = stored.saiken("case", "show", CASE, env=env)
    assert_refused(stored, r, before, f"{expected}: 鍵ファイルがありません。", "saiken keygen", "SAIKEN_IDENTITY")


def test_wrong_passphrase(records_repo: RecordsRepo, fictional_case_text: str) -> None:
    base = records_repo.root.parent
    (base / "pass-right").write_text("架空の正しいパスフレーズ\n")
    (base / "pass-wrong").write_text("架空の違うパスフレーズ\n")
    for name in ("pass-right", "pass-wrong"):
        (base / name).chmod(0o600)
    key = base / "protected.key"
    r = records_repo.saiken("keygen", "--passphrase", "-o", str(key),
                            env={"SAIKEN_PASSPHRASE_FILE": str(base / "pass-right")})
    assert r.returncode == 0, r.stderr
    assert key.read_bytes().startswith(b"-----BEGIN AGE ENCRYPTED FILE-----")
    public = r.stdout.strip()
    records_repo.saiken("handler", "add", "--id", "otsu-02", "--name", "架空 otsu-02", "--org", "乙", "--role", "取扱者",
                        "--key", public, "--email", "otsu-02@example.invalid", check=True)
    records_repo.saiken("case", "new", "--from", "-", input=fictional_case_text, check=True)
    ok = records_repo.saiken("case", "show", CASE, env={"SAIKEN_IDENTITY": str(key),
                                                         "SAIKEN_PASSPHRASE_FILE": str(base / "pass-right")})
    assert ok.returncode == 0 and "case_id: C-TEST0001" in ok.stdout, ok.stderr
    before = snapshot(records_repo)
    r = records_repo.saiken("case", "show", CASE, env={"SAIKEN_IDENTITY": str(key),
                                                        "SAIKEN_PASSPHRASE_FILE": str(base / "pass-wrong")})
    assert_refused(records_repo, r, before, f"{key}: パスフレーズが違います。", "SAIKEN_PASSPHRASE_FILE")
    assert "架空 一郎" not in r.stdout


# --- case ids -------------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", ["../C-TEST0001", "C-TEST/0001", "..", "../../etc/passwd", "c-lower", "/tmp/x", ""])
def test_case_id_with_slash_or_dots_is_refused(stored: RecordsRepo, fictional_case_text: str, bad: str) -> None:
    before = snapshot(stored)
    for args in (("case", "show", bad), ("case", "edit", bad), ("case", "new", "--id", bad, "--from", "-"),
                 ("case", "new", "--id", bad)):
        r = stored.saiken(*args, input=fictional_case_text, env={"EDITOR": "true"})
        assert_refused(stored, r, before, f"事案番号「{bad}」は使えません", "英大文字・数字・ハイフン")
    # the id inside the record is checked by the schema, which names the field
    r = stored.saiken("case", "new", "--from", "-", input=fictional_case_text.replace(f"case_id: {CASE}", f"case_id: '{bad}'"))
    assert_refused(stored, r, before, f"case_id: 事案番号の形式が正しくありません（{bad}）")


def test_case_new_for_an_existing_id(stored: RecordsRepo, fictional_case_text: str) -> None:
    before = snapshot(stored)
    r = stored.saiken("case", "new", "--from", "-", input=fictional_case_text.replace("督促中", "交渉中"))
    assert_refused(stored, r, before, f"{record_rel(CASE)}: 事案「{CASE}」は既にあります。",
                   f"saiken case edit {CASE}")


def test_id_option_must_match_the_record(records_repo: RecordsRepo, fictional_case_text: str) -> None:
    before = snapshot(records_repo)
    r = records_repo.saiken("case", "new", "--id", "C-OTHER001", "--from", "-", input=fictional_case_text)
    assert_refused(records_repo, r, before, "C-TEST0001", "C-OTHER001", "一致しません")


def test_case_new_fills_in_the_id_a_file_leaves_out(records_repo: RecordsRepo, fictional_case_text: str) -> None:
    """The help's own example: `saiken case new --id C-2021-0001 --from - < 事案.yaml`, the file without case_id."""
    without = fictional_case_text.replace(f"case_id: {CASE}\n", "")
    assert "case_id" not in without
    r = records_repo.saiken("case", "new", "--id", "C-2021-0001", "--from", "-", input=without)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "C-2021-0001\n"
    shown = records_repo.saiken("case", "show", "C-2021-0001", check=True).stdout
    assert shown.startswith("# 架空の人物です") and "\ncase_id: C-2021-0001\nstatus: 督促中\n" in shown
    # without --id, a new id is made and printed, and the record holds it
    r = new_from(records_repo, without)
    assert r.returncode == 0, r.stderr
    made = r.stdout.strip()
    assert made.startswith("C-") and made != "C-2021-0001"
    assert f"case_id: {made}\n" in records_repo.saiken("case", "show", made, check=True).stdout
    # a file that names another id is still refused
    (records_repo.root.parent / "別の事案.yaml").write_text(fictional_case_text, encoding="utf-8")
    before = snapshot(records_repo)
    r = new_from(records_repo, fictional_case_text, "別の事案.yaml", "--id", "C-2021-0002")
    assert_refused(records_repo, r, before, f"記録の case_id（{CASE}）と --id（C-2021-0002）が一致しません")


# --- show and list --------------------------------------------------------------------------------

def test_show_json(stored: RecordsRepo) -> None:
    r = stored.saiken("case", "show", CASE, "--format", "json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["case_id"] == CASE and data["status"] == "督促中"
    assert data["parties"][0]["name"]["family"] == "架空"
    assert data["claim"]["contract_date"] == "2012-03-15" and data["claim"]["principal"] == 1080000
    assert data["history"][0]["at"] == "2021-05-10T10:00:00"


def test_show_unknown_case(stored: RecordsRepo) -> None:
    before = snapshot(stored)
    r = stored.saiken("case", "show", "C-NONE0001")
    assert_refused(stored, r, before, f"{record_rel('C-NONE0001')}: 事案「C-NONE0001」の記録がありません。", "saiken case list")


def test_list_never_prints_names_without_names_flag(stored: RecordsRepo, fictional_case_text: str) -> None:
    other = (fictional_case_text.replace(CASE, "C-TEST0002").replace("family: 架空, given: 一郎", "family: 仮名, given: 次郎")
             .replace("カクウ", "カメイ"))
    stored.saiken("case", "new", "--from", "-", input=other, check=True)
    names = ("架空", "一郎", "仮名", "次郎", "花子", "カクウ", "カメイ", "新宿")
    for fmt in ("table", "json", "tsv"):
        r = stored.saiken("case", "list", "--format", fmt)
        assert r.returncode == 0, r.stderr
        assert CASE in r.stdout and "C-TEST0002" in r.stdout
        assert not [n for n in names if n in r.stdout + r.stderr], r.stdout
    rows = json.loads(stored.saiken("case", "list", "--format", "json", check=True).stdout)
    assert rows[0] == {"case_id": CASE, "status": "督促中", "balance": 1071000}
    named = stored.saiken("case", "list", "--names", check=True).stdout
    assert "架空 一郎" in named and "仮名 次郎" in named
    assert "花子" not in named  # only the borrower's name, even with --names

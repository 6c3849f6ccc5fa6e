"""saiken ledger handovers / receive: the 確認書 from real git history, receipts in ledger/."""

from __future__ import annotations

import csv
import hashlib
import io
import subprocess
from pathlib import Path

import pytest

from conftest import RecordsRepo
from saiken.core import crypto
from saiken.core.policy import recipient_fingerprint
from saiken.core.records import Store
from saiken.core.layout import manifest_rel, record_rel

# The fictional people in tests/fixtures/case-fictional.yaml: none of this may appear in any output.
FICTIONAL = ("一郎", "花子", "イチロウ", "カクウ", "架空町", "ichiro", "03-0000-0001", "1995-04-02")


def who(handler_id: str, when: str) -> dict[str, str]:
    email = f"{handler_id}@example.invalid"
    return {"GIT_AUTHOR_NAME": f"架空 {handler_id}", "GIT_AUTHOR_EMAIL": email, "GIT_AUTHOR_DATE": when,
            "GIT_COMMITTER_NAME": f"架空 {handler_id}", "GIT_COMMITTER_EMAIL": email, "GIT_COMMITTER_DATE": when}


def commit(repo: RecordsRepo, handler_id: str, when: str, message: str, *paths: str) -> str:
    env = {**repo.env, **who(handler_id, when)}
    subprocess.run(["git", "add", "-A", "--", *(paths or ["."])], cwd=repo.root, env=env, check=True)
    subprocess.run(["git", "commit", "-q", "-m", message], cwd=repo.root, env=env, check=True)
    return repo.git("rev-parse", "HEAD").strip()


def new_case(repo: RecordsRepo, text: str, case_id: str) -> None:
    repo.saiken("case", "new", "--id", case_id, "--from", "-",
                input=text.replace("C-TEST0001", case_id), check=True)


def edit_case(repo: RecordsRepo, text: str, case_id: str, note: str) -> None:
    """Change a record the way `case edit` would: new plaintext, encrypted to the active handlers."""
    store = Store.open(repo.root)
    changed = text.replace("C-TEST0001", case_id).replace("分納の相談あり", note)
    normalised, _ = store.normalise_text(changed)
    store.write_text(case_id, normalised)


def table_rows(out: str) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["日時", "渡した者（所属）", "受け取る者（宛先）", "事案番号", "内容", "受領確認"]
    return rows[1:]


@pytest.fixture
def history(records_repo: RecordsRepo, fictional_case_text: str) -> dict[str, str]:
    """A year of handovers: 乙 adds two cases, edits one, 甲 joins, all re-encrypted, one deleted."""
    repo, text = records_repo, fictional_case_text
    repo.add_handler("kou-01", org="甲", role="取扱責任者")
    c = {"setup": commit(repo, "otsu-01", "2021-03-31T09:00:00+09:00", "取扱者の指定")}
    new_case(repo, text, "C-TEST0001")
    c["new"] = commit(repo, "otsu-01", "2021-04-05T10:00:00+09:00", "事案を追加")
    new_case(repo, text, "C-TEST0002")
    c["new2"] = commit(repo, "otsu-01", "2021-06-01T10:00:00+09:00", "事案を追加")
    edit_case(repo, text, "C-TEST0001", "電話で分納を再確認")
    c["edit"] = commit(repo, "kou-01", "2021-07-01T15:30:00+09:00", "交渉記録を追記")
    repo.add_handler("kou-02", org="甲")
    c["designate"] = commit(repo, "kou-01", "2021-09-01T09:00:00+09:00", "取扱者の追加", "policies")
    for case_id in ("C-TEST0001", "C-TEST0002"):
        edit_case(repo, text, case_id, "分納の相談あり")
    c["rekey"] = commit(repo, "kou-01", "2021-09-01T09:10:00+09:00", "全記録を再暗号化")
    repo.git("rm", "-q", record_rel("C-TEST0002"))
    c["delete"] = commit(repo, "otsu-01", "2022-03-31T23:30:00+09:00", "事案を削除")
    edit_case(repo, text, "C-TEST0001", "入金を確認")
    c["next_fy"] = commit(repo, "otsu-01", "2022-04-01T00:10:00+09:00", "交渉記録を追記")
    return c


def test_each_kind_of_change_is_one_row(records_repo: RecordsRepo, history: dict[str, str]) -> None:
    res = records_repo.saiken("ledger", "handovers", "--format", "csv")
    assert res.returncode == 0, res.stderr
    rows = table_rows(res.stdout)
    by_commit = {r[0].split(" / ")[1]: r for r in rows}
    assert len(rows) == 6  # the setup and designation commits touch no record
    assert history["setup"][:12] not in by_commit and history["designate"][:12] not in by_commit
    kinds = {k: by_commit[history[k][:12]][4] for k in ("new", "new2", "edit", "rekey", "delete", "next_fy")}
    assert kinds == {"new": "新規", "new2": "新規", "edit": "更新", "rekey": "再暗号化（2 件）",
                     "delete": "削除", "next_fy": "更新"}
    new = by_commit[history["new"][:12]]
    assert new[0].startswith("2021-04-05 10:00")
    assert new[1] == "架空 otsu-01 <otsu-01@example.invalid>（otsu-01・乙）"
    assert new[3] == "C-TEST0001"
    # saiken writes the bucket's manifest with every record: its line names the recipients
    assert new[2] == "kou-01（甲）、otsu-01（乙） ［X25519×2、宛先数は当時の有効な取扱者 2 名と一致］"
    assert by_commit[history["edit"][:12]][1].endswith("（kou-01・甲）")
    assert by_commit[history["rekey"][:12]][2].endswith("［X25519×3、宛先数は当時の有効な取扱者 3 名と一致］")
    assert by_commit[history["rekey"][:12]][3] == "C-TEST0001、C-TEST0002"
    assert by_commit[history["delete"][:12]][2] == "—（削除のみ）"
    assert all(r[5] == "未確認" for r in rows)


def test_a_single_edit_to_a_new_handler_set_is_a_rekey_by_the_manifest(records_repo: RecordsRepo,
                                                          history: dict[str, str],
                                                          fictional_case_text: str) -> None:
    new_case(records_repo, fictional_case_text, "C-TEST0003")
    commit(records_repo, "otsu-01", "2022-04-02T10:00:00+09:00", "事案を追加")
    records_repo.add_handler("otsu-02")
    commit(records_repo, "otsu-01", "2022-04-03T10:00:00+09:00", "取扱者の追加", "policies")
    edit_case(records_repo, fictional_case_text, "C-TEST0001", "督促状を送付")
    edited = commit(records_repo, "otsu-01", "2022-04-04T10:00:00+09:00", "交渉記録を追記")
    rows = table_rows(records_repo.saiken("ledger", "handovers", "--format", "csv", check=True).stdout)
    row = next(r for r in rows if edited[:12] in r[0])
    assert row[4] == "再暗号化"  # its manifest line names a new recipient set (policy)
    assert row[2] == ("kou-01（甲）、kou-02（甲）、otsu-01（乙）、otsu-02（乙） "
                      "［X25519×4、宛先数は当時の有効な取扱者 4 名と一致］")


def _raw_record(repo: RecordsRepo, case_id: str, note: str) -> None:
    """A record written without saiken (so without a manifest line), to every active handler."""
    keys = [crypto.RecipientKey.parse(public) for _, public in repo.handlers.values()]
    (repo.root / "records").mkdir(exist_ok=True)
    (repo.root / record_rel(case_id)).parent.mkdir(parents=True, exist_ok=True)
    (repo.root / record_rel(case_id)).write_bytes(
        crypto.encrypt(f"case_id: {case_id}\nnote: {note}\n".encode(), keys))


def test_without_a_manifest_many_records_after_a_designation_are_a_rekey(records_repo: RecordsRepo) -> None:
    repo = records_repo
    for cid in ("C-TEST0001", "C-TEST0002", "C-TEST0003"):
        _raw_record(repo, cid, "a")
    commit(repo, "otsu-01", "2021-04-05T10:00:00+09:00", "事案を追加")
    repo.add_handler("kou-01", org="甲", role="取扱責任者")
    for cid in ("C-TEST0001", "C-TEST0002"):
        _raw_record(repo, cid, "a")
    rekeyed = commit(repo, "kou-01", "2021-04-06T10:00:00+09:00", "再暗号化（2 件ずつ）")
    repo.add_handler("kou-02", org="甲")
    _raw_record(repo, "C-TEST0003", "b")
    edited = commit(repo, "kou-01", "2021-04-07T10:00:00+09:00", "交渉記録を追記")
    rows = {r[0].split(" / ")[1]: r for r in
            table_rows(repo.saiken("ledger", "handovers", "--format", "csv", check=True).stdout)}
    assert rows[rekeyed[:12]][4] == "再暗号化（2 件）"
    assert rows[edited[:12]][4] == "更新"  # one record of three: an edit, not a re-encryption
    assert rows[edited[:12]][2] == "暗号文からは特定不可 ［X25519×3、宛先数は当時の有効な取扱者 3 名と一致］"


def test_fiscal_year_runs_april_to_march(records_repo: RecordsRepo, history: dict[str, str]) -> None:
    out = records_repo.saiken("ledger", "handovers", "--fy", "2021", "--format", "csv", check=True).stdout
    shown = {r[0].split(" / ")[1] for r in table_rows(out)}
    assert shown == {history[k][:12] for k in ("new", "new2", "edit", "rekey", "delete")}
    out = records_repo.saiken("ledger", "handovers", "--fy", "2022", "--format", "csv", check=True).stdout
    assert {r[0].split(" / ")[1] for r in table_rows(out)} == {history["next_fy"][:12]}
    out = records_repo.saiken("ledger", "handovers", "--from", "2021-06-01", "--to", "2021-07-01",
                              "--format", "csv", check=True).stdout
    assert {r[0].split(" / ")[1] for r in table_rows(out)} == {history["new2"][:12], history["edit"][:12]}


def test_fy_and_dates_together_are_refused(records_repo: RecordsRepo, history: dict[str, str]) -> None:
    res = records_repo.saiken("ledger", "handovers", "--fy", "2021", "--from", "2021-04-01")
    assert res.returncode != 0
    assert "--fy と --from/--to は同時に指定できません" in res.stderr
    assert "Traceback" not in res.stderr


def test_markdown_is_the_japanese_confirmation_table(records_repo: RecordsRepo, history: dict[str, str]) -> None:
    out = records_repo.saiken("ledger", "handovers", "--fy", "2021", "--as-of", "2022-04-10", check=True).stdout
    lines = out.splitlines()
    assert lines[0] == "# 個人情報データの受渡し確認書（Git 履歴より）"
    assert "- 対象期間: 2021年度（令和3年度） 2021-04-01〜2022-03-31" in lines
    assert "| 日時 | 渡した者（所属） | 受け取る者（宛先） | 事案番号 | 内容 | 受領確認 |" in lines
    assert sum(1 for line in lines if line.startswith("| 2021") or line.startswith("| 2022")) == 5
    assert "- 受渡し 5 件（うち受領確認済 0 件、未確認 5 件）" in lines


def test_receive_records_a_receipt_and_the_table_shows_it(records_repo: RecordsRepo,
                                                          history: dict[str, str]) -> None:
    repo = records_repo
    res = repo.saiken("ledger", "receive", history["new"][:10], "--as-of", "2021-04-06",
                      env=who("kou-01", "2021-04-06T09:00:00+09:00"))
    assert res.returncode == 0, res.stderr
    assert "受領確認を記録しました" in res.stdout and "kou-01" in res.stdout
    assert "署名なし" in res.stdout
    ledger = (repo.root / "ledger" / "receipts.yaml").read_text(encoding="utf-8")
    assert f"commit: {history['new']}" in ledger and "receiver: kou-01" in ledger
    assert "date: 2021-04-06" in ledger and "method: git" in ledger
    assert repo.git("status", "--porcelain") == ""  # the receipt was committed
    assert repo.git("log", "-1", "--format=%ae %s").startswith("kou-01@example.invalid 受領確認: ")
    rows = table_rows(repo.saiken("ledger", "handovers", "--format", "csv", check=True).stdout)
    status = {r[0].split(" / ")[1]: r[5] for r in rows}
    assert status[history["new"][:12]] == "受領済（kou-01、2021-04-06、署名なし）"
    assert status[history["new2"][:12]] == "未確認"
    assert len(rows) == 6  # the receipt commit is not a handover


def test_receive_refuses_the_same_organisation_and_strangers(records_repo: RecordsRepo,
                                                             history: dict[str, str]) -> None:
    repo = records_repo
    res = repo.saiken("ledger", "receive", history["new"], env=who("otsu-01", "2021-04-06T09:00:00+09:00"))
    assert res.returncode != 0
    assert "受領確認は相手方（甲）の取扱者が行います" in res.stderr
    res = repo.saiken("ledger", "receive", history["new"], env=who("someone", "2021-04-06T09:00:00+09:00"))
    assert res.returncode != 0 and "取扱者が policies/handlers.yaml にいません" in res.stderr
    res = repo.saiken("ledger", "receive", history["designate"], env=who("otsu-01", "2021-09-02T09:00:00+09:00"))
    assert res.returncode != 0 and "記録（records/）の受渡しではありません" in res.stderr
    res = repo.saiken("ledger", "receive", "0123456789abcdef", env=who("kou-01", "2021-04-06T09:00:00+09:00"))
    assert res.returncode != 0 and "が見つかりません" in res.stderr
    assert not (repo.root / "ledger" / "receipts.yaml").exists()
    ok = repo.saiken("ledger", "receive", history["edit"], env=who("otsu-01", "2021-07-02T09:00:00+09:00"))
    assert ok.returncode == 0, ok.stderr  # 甲 handed over, 乙 receives
    again = repo.saiken("ledger", "receive", history["edit"], env=who("otsu-01", "2021-07-02T09:00:00+09:00"))
    assert again.returncode != 0 and "受領確認済み" in again.stderr
    assert "Traceback" not in res.stderr + again.stderr


def test_receive_signs_when_a_signing_key_is_configured(records_repo: RecordsRepo, history: dict[str, str],
                                                         tmp_path: Path) -> None:
    key = tmp_path / "kou-01-signing"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "kou-01", "-f", str(key)], check=True)
    records_repo.git("config", "gpg.format", "ssh")
    records_repo.git("config", "user.signingkey", f"{key}.pub")
    res = records_repo.saiken("ledger", "receive", history["new"], env=who("kou-01", "2021-04-06T09:00:00+09:00"))
    assert res.returncode == 0, res.stderr
    assert "署名付きコミット" in res.stdout
    assert "gpgsig" in records_repo.git("cat-file", "commit", "HEAD")
    # a signature is proven only by a key policies/handlers.yaml gives kou-01: none yet
    rows = table_rows(records_repo.saiken("ledger", "handovers", "--format", "csv", check=True).stdout)
    assert any(r[5].startswith("受領済（kou-01、") and r[5].endswith("、署名なし）") for r in rows)
    records_repo.saiken("handler", "signing-key", "kou-01", "--key", key.with_suffix(".pub").read_text().strip(),
                        check=True)
    records_repo.git("commit", "-q", "--no-verify", "-am", "kou-01 の署名鍵を登録")
    rows = table_rows(records_repo.saiken("ledger", "handovers", "--format", "csv", check=True).stdout)
    assert any(r[5].startswith("受領済（kou-01、") and r[5].endswith("、署名付き）") for r in rows)


def test_a_receipt_written_by_the_other_side_proves_nothing(records_repo: RecordsRepo, history: dict[str, str]) -> None:
    """乙 handed the record over; an entry saying 甲's kou-01 received it – `signed: true` included –
    committed by otsu-01 is no acknowledgement: it shows as 未確認 with why, and the count says so."""
    repo = records_repo
    (repo.root / "ledger").mkdir(exist_ok=True)
    (repo.root / "ledger" / "receipts.yaml").write_text(
        f"receipts:\n- commit: {history['new']}\n  receiver: kou-01\n  date: 2021-04-06\n  method: git\n"
        "  signed: true\n", encoding="utf-8")
    repo.git("add", "ledger/receipts.yaml")
    repo.git("-c", "user.email=otsu-01@example.invalid", "commit", "-q", "--no-verify", "-m", "受領確認")
    out = repo.saiken("ledger", "handovers", "--format", "csv", check=True).stdout
    cell = {r[0].split(" / ")[1]: r[5] for r in table_rows(out)}[history["new"][:12]]
    assert cell.startswith("未確認（kou-01、2021-04-06 の記載はkou-01 本人がコミットしたものではありません"), cell
    md = repo.saiken("ledger", "handovers", check=True).stdout
    assert "うち受領確認済 0 件" in md
    # written in the work tree and not committed: not yet a receipt either
    (repo.root / "ledger" / "receipts.yaml").write_text(
        f"receipts:\n- commit: {history['new2']}\n  receiver: kou-01\n  date: 2021-06-06\n  method: git\n",
        encoding="utf-8")
    out = repo.saiken("ledger", "handovers", "--format", "csv", check=True).stdout
    cell = {r[0].split(" / ")[1]: r[5] for r in table_rows(out)}[history["new2"][:12]]
    assert "まだコミットされていません" in cell and cell.startswith("未確認")


def test_no_personal_data_in_any_output_or_the_ledger(records_repo: RecordsRepo, history: dict[str, str],
                                                      tmp_path: Path) -> None:
    repo = records_repo
    received = repo.saiken("ledger", "receive", history["new"], env=who("kou-01", "2021-04-06T09:00:00+09:00"))
    md = repo.saiken("ledger", "handovers", check=True).stdout
    csv_out = repo.saiken("ledger", "handovers", "--format", "csv", check=True).stdout
    repo.saiken("ledger", "handovers", "--format", "csv", "--out", str(tmp_path / "確認書.csv"), check=True)
    written = (tmp_path / "確認書.csv").read_bytes()
    assert written.startswith(b"\xef\xbb\xbf")  # BOM, so Excel reads the Japanese
    ledger = (repo.root / "ledger" / "receipts.yaml").read_text(encoding="utf-8")
    log = repo.git("log", "--format=%B")
    for text in (md, csv_out, written.decode("utf-8-sig"), ledger, received.stdout, log):
        for name in FICTIONAL:
            assert name not in text
    assert "C-TEST0001" in md  # case ids are there, names are not


def test_an_empty_repository_has_an_empty_record(records_repo: RecordsRepo) -> None:
    res = records_repo.saiken("ledger", "handovers")
    assert res.returncode == 0, res.stderr
    assert "- 受渡し 0 件（うち受領確認済 0 件、未確認 0 件）" in res.stdout


def _manifest(repo: RecordsRepo, case_ids: list[str], policy_hash: str, *, sha: str | None = None) -> None:
    """The bucket manifests of these records as `saiken rekey` writes them: one line per record."""
    fps = ", ".join(sorted(recipient_fingerprint(public) for _, public in repo.handlers.values()))
    lines: dict[str, list[str]] = {}
    for c in case_ids:
        digest = sha or hashlib.sha256((repo.root / record_rel(c)).read_bytes()).hexdigest()
        lines.setdefault(manifest_rel(c), []).append(f"{c}: {{sha256: {digest}, recipients: [{fps}], policy: {policy_hash}}}\n")
    for rel, found in lines.items():
        (repo.root / rel).write_text("# 宛先台帳（テスト）\n" + "".join(found))


def test_manifest_names_the_recipients_and_a_new_policy_is_a_rekey(records_repo: RecordsRepo,
                                                                   fictional_case_text: str) -> None:
    repo, text = records_repo, fictional_case_text
    repo.add_handler("kou-01", org="甲", role="取扱責任者")
    new_case(repo, text, "C-TEST0001")
    new_case(repo, text, "C-TEST0002")
    _manifest(repo, ["C-TEST0001", "C-TEST0002"], "aaaa1111aaaa1111")
    first = commit(repo, "otsu-01", "2021-04-05T10:00:00+09:00", "事案を追加")
    edit_case(repo, text, "C-TEST0001", "電話で分納を再確認")
    _manifest(repo, ["C-TEST0001", "C-TEST0002"], "bbbb2222bbbb2222")
    rekeyed = commit(repo, "kou-01", "2021-04-06T10:00:00+09:00", "再暗号化")
    edit_case(repo, text, "C-TEST0001", "入金を確認")
    _manifest(repo, ["C-TEST0001", "C-TEST0002"], "bbbb2222bbbb2222")
    edited = commit(repo, "kou-01", "2021-04-07T10:00:00+09:00", "交渉記録を追記")
    edit_case(repo, text, "C-TEST0002", "督促状を送付")
    repo.git("checkout", "--", manifest_rel("C-TEST0002"))  # committed without its manifest line
    unlisted = commit(repo, "kou-01", "2021-04-08T10:00:00+09:00", "交渉記録を追記")
    edit_case(repo, text, "C-TEST0002", "来所")
    _manifest(repo, ["C-TEST0002"], "bbbb2222bbbb2222", sha="0" * 64)
    stale = commit(repo, "kou-01", "2021-04-09T10:00:00+09:00", "交渉記録を追記")
    rows = {r[0].split(" / ")[1]: r for r in
            table_rows(repo.saiken("ledger", "handovers", "--format", "csv", check=True).stdout)}
    assert rows[first[:12]][2] == "kou-01（甲）、otsu-01（乙） ［X25519×2、宛先数は当時の有効な取扱者 2 名と一致］"
    assert rows[rekeyed[:12]][4] == "再暗号化"  # one record, but its manifest line has a new policy
    assert rows[edited[:12]][4] == "更新"
    # A record committed without its manifest line: the line left describes the old ciphertext.
    stale_text = "暗号文からは特定不可 ［X25519×2、宛先数は当時の有効な取扱者 2 名と一致］ ※マニフェストの sha256 がこの暗号文と一致しません"
    assert rows[unlisted[:12]][2] == stale_text
    assert rows[stale[:12]][2] == stale_text


def test_ssh_recipients_are_named_by_their_key_tag(records_repo: RecordsRepo, fictional_case_text: str,
                                                   tmp_path: Path) -> None:
    key = tmp_path / "kou-ssh"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "kou-ssh", "-f", str(key)], check=True)
    records_repo.saiken("handler", "add", "--id", "kou-ssh", "--name", "架空 kou-ssh", "--org", "甲",
                        "--role", "取扱者", "--key", (tmp_path / "kou-ssh.pub").read_text().strip(),
                        "--email", "kou-ssh@example.invalid", check=True)
    new_case(records_repo, fictional_case_text, "C-TEST0001")
    (records_repo.root / manifest_rel("C-TEST0001")).unlink()  # the ssh key tag alone names kou-ssh
    commit(records_repo, "otsu-01", "2021-04-05T10:00:00+09:00", "事案を追加")
    row = table_rows(records_repo.saiken("ledger", "handovers", "--format", "csv", check=True).stdout)[0]
    assert row[2] == "kou-ssh（甲） ほか特定できない宛先 1 件 ［X25519×1・ssh-ed25519×1、宛先数は当時の有効な取扱者 2 名と一致］"


def test_merged_branches_give_one_row_per_commit_not_per_merge(records_repo: RecordsRepo,
                                                               fictional_case_text: str) -> None:
    repo, text = records_repo, fictional_case_text
    repo.add_handler("kou-01", org="甲", role="取扱責任者")
    (repo.root / ".gitattributes").write_text("records/*/*/manifest.yaml merge=union\n")  # as git-setup does (in .git/info)
    new_case(repo, text, "C-TEST0001")
    commit(repo, "otsu-01", "2021-04-05T10:00:00+09:00", "事案を追加")
    repo.git("checkout", "-q", "-b", "ward")
    new_case(repo, text, "C-TEST0002")
    on_branch = commit(repo, "kou-01", "2021-04-06T10:00:00+09:00", "事案を追加")
    repo.git("checkout", "-q", "main")
    edit_case(repo, text, "C-TEST0001", "電話で分納を再確認")
    on_main = commit(repo, "otsu-01", "2021-04-07T10:00:00+09:00", "交渉記録を追記")
    env = {**repo.env, **who("otsu-01", "2021-04-08T10:00:00+09:00")}
    subprocess.run(["git", "merge", "-q", "--no-edit", "ward"], cwd=repo.root, env=env, check=True)
    rows = table_rows(_both(repo))
    assert len(rows) == 3
    by_commit = {r[0].split(" / ")[1]: r for r in rows}
    assert by_commit[on_branch[:12]][1].endswith("（kou-01・甲）") and by_commit[on_branch[:12]][4] == "新規"
    assert by_commit[on_main[:12]][4] == "更新"


def test_a_record_not_encrypted_to_every_active_handler_shows_a_mismatch(records_repo: RecordsRepo) -> None:
    repo = records_repo
    only_otsu = crypto.encrypt("case_id: C-TEST0009\n".encode(), [crypto.RecipientKey.parse(repo.public)])
    repo.add_handler("kou-01", org="甲", role="取扱責任者")
    (repo.root / record_rel("C-TEST0009")).parent.mkdir(parents=True)
    (repo.root / record_rel("C-TEST0009")).parent.mkdir(parents=True, exist_ok=True)
    (repo.root / record_rel("C-TEST0009")).write_bytes(only_otsu)
    commit(repo, "otsu-01", "2021-04-05T10:00:00+09:00", "事案を追加")
    row = table_rows(repo.saiken("ledger", "handovers", "--format", "csv", check=True).stdout)[0]
    assert row[2] == "暗号文からは特定不可 ［X25519×1、宛先数は当時の有効な取扱者 2 名と不一致］"


def test_armored_records_and_deactivated_receivers(records_repo: RecordsRepo) -> None:
    repo = records_repo
    repo.add_handler("kou-01", org="甲", role="取扱責任者")
    keys = [crypto.RecipientKey.parse(public) for _, public in repo.handlers.values()]
    (repo.root / record_rel("C-TEST0009")).parent.mkdir(parents=True)
    (repo.root / record_rel("C-TEST0009")).parent.mkdir(parents=True, exist_ok=True)
    (repo.root / record_rel("C-TEST0009")).write_bytes(
        crypto.encrypt(b"case_id: C-TEST0009\n", keys, armored=True))
    handed = commit(repo, "otsu-01", "2021-04-05T10:00:00+09:00", "事案を追加")
    row = table_rows(repo.saiken("ledger", "handovers", "--format", "csv", check=True).stdout)[0]
    assert row[2] == "暗号文からは特定不可 ［X25519×2、宛先数は当時の有効な取扱者 2 名と一致］"
    repo.add_handler("kou-02", org="甲")
    repo.saiken("handler", "deactivate", "kou-01", check=True)
    commit(repo, "kou-02", "2021-04-06T10:00:00+09:00", "取扱者の解除", "policies")
    res = repo.saiken("ledger", "receive", handed, env=who("kou-01", "2021-04-07T10:00:00+09:00"))
    assert res.returncode != 0 and "指定を解除されているため、受領確認できません" in res.stderr
    ok = repo.saiken("ledger", "receive", handed, env=who("kou-02", "2021-04-07T10:00:00+09:00"))
    assert ok.returncode == 0, ok.stderr
    assert "receiver: kou-02" in (repo.root / "ledger" / "receipts.yaml").read_text(encoding="utf-8")


# --- the row cache (.git/saiken/handovers-cache) ----------------------------------------------------

def _both(repo: RecordsRepo, *args: str) -> str:
    """The table read with the cache (and updating it) – asserted equal to the one read without."""
    cached = repo.saiken("ledger", "handovers", "--format", "csv", *args, check=True).stdout
    assert repo.saiken("ledger", "handovers", "--format", "csv", "--no-cache", *args, check=True).stdout == cached
    return cached


def test_cached_rows_equal_uncached_through_new_commits_rewrites_and_corruption(
        records_repo: RecordsRepo, history: dict[str, str], fictional_case_text: str) -> None:
    repo = records_repo
    cache = repo.root / ".git" / "saiken" / "handovers-cache"
    assert not cache.exists()
    first = _both(repo, "--fy", "2021")  # only FY2021's rows are read, every commit's state is kept
    assert oct(cache.stat().st_mode & 0o777) == "0o600"
    full = _both(repo)
    text = cache.read_text(encoding="utf-8")
    assert history["next_fy"] in text and "C-TEST0001" in text
    for secret in (*FICTIONAL, "架空", "example.invalid", "otsu-01@"):  # no name, no e-mail, nothing of a record
        assert secret not in text
    stamp = cache.stat().st_mtime_ns
    assert _both(repo) == full and cache.stat().st_mtime_ns == stamp  # nothing new: nothing written
    # new commits: only they are read; the earlier rows stay as they were
    edit_case(repo, fictional_case_text, "C-TEST0001", "来所")
    added = commit(repo, "kou-01", "2022-04-02T10:00:00+09:00", "交渉記録を追記")
    grown = _both(repo)
    assert grown.startswith(full) and added[:12] in grown
    # a rewritten history: cached commits disappear, new ones take their place
    repo.git("reset", "-q", "--hard", history["rekey"])
    edit_case(repo, fictional_case_text, "C-TEST0002", "書留を送付")
    rewritten = commit(repo, "otsu-01", "2021-10-01T10:00:00+09:00", "交渉記録を追記")
    after = _both(repo)
    assert rewritten[:12] in after and added[:12] not in after and history["delete"][:12] not in after
    assert _both(repo, "--fy", "2021") != first
    repo.git("rebase", "-q", "--force-rebase", "--root")  # every commit new (committed today)
    rebased = _both(repo)
    assert rebased != after
    # a corrupt or foreign cache is ignored and written anew
    for broken in (b"\x00garbage", text[: len(text) // 2].encode(), b'{"format": "x", "commits": []}',
                   text.replace('"commits":[[', '"commits":[[7,', 1).encode()):
        cache.write_bytes(broken)
        assert _both(repo) == rebased
        assert cache.read_bytes() != broken

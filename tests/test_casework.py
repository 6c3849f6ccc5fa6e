"""saiken case log / case pay / worklist through the real CLI, on one records repository per module.

Every case below is a copy of the fictional record (架空) under its own case id, so the tests do
not disturb each other; bad input must leave the encrypted record unchanged byte for byte.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

import ptyrun
from conftest import FIXTURES, ROOT, VENV_BIN, RecordsRepo, make_records_repo
from saiken.casework.worklist import DEFAULTS, load_rules
from saiken.core.layout import manifest_rel, record_rel

TODAY = dt.date.today()
YESTERDAY = (TODAY - dt.timedelta(days=1)).isoformat()
# a few days off, so that a run crossing midnight (TODAY is read once, at import) still means past/future
PAST, FUTURE = (TODAY - dt.timedelta(days=3)).isoformat(), (TODAY + dt.timedelta(days=3)).isoformat()
CASES = ("C-LOG", "C-PAY", "C-LIM", "C-WORK", "C-BAD", "C-CMT", "C-ASK", "C-AGR", "C-PROM", "C-GPAY", "C-ORDER")
AGREEMENT = """\
    - {date: 2026-06-27, amount: 10000}
agreements:
  - {date: 2026-06-01, total: 100000, amount: 10000, day: 27, first_due: 2026-06-27, signed: true}
"""
COMMENTED = """\
# 架空の人物です（テスト用）。
# 記録の先頭のコメント（架空）
case_id: C-CMT
status: 督促中
parties:
  - id: p1
    role: borrower
    name: {family: 架空, given: 三郎}
claim:
  contract_date: 2012-03-15
  principal: 1080000  # 貸付総額のコメント
  repayment: {method: 月賦, first_due: 2016-04-27, count: 120}
  payments:
    # 入金の一覧のコメント
    - {date: 2016-04-27, amount: 9000}
history:
  # 経過記録のコメント
  - {at: 2021-05-10 10:00, kind: 電話, by: otsu-01, note: 架空の相談}
"""


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> RecordsRepo:
    """Handlers otsu-01 (chief), otsu-02, and otsu-03 (deactivated after the cases were written)."""
    r = make_records_repo(tmp_path_factory.mktemp("casework"),
                          ("handlers.yaml", "information-items.yaml", "contract.yaml", "limitation.yaml", "worklist.yaml",
                           "prohibited-categories.yaml"))
    r.add_handler("otsu-02")
    r.add_handler("otsu-03")
    text = (FIXTURES / "case-fictional.yaml").read_text(encoding="utf-8")
    for cid in CASES:
        source = COMMENTED if cid == "C-CMT" else text.replace("C-TEST0001", cid)
        if cid == "C-AGR":  # a signed 分納 agreement, paid once
            source = source.replace("    - {date: 2016-04-27, amount: 9000}\n",
                                    "    - {date: 2016-04-27, amount: 9000}\n" + AGREEMENT.split("agreements:")[0])
            source = source.replace("history:", "agreements:" + AGREEMENT.split("agreements:")[1] + "history:")
        r.saiken("case", "new", "--from", "-", input=source, check=True)
    r.saiken("handler", "deactivate", "otsu-03", check=True)
    return r


def show(repo: RecordsRepo, cid: str) -> dict[str, Any]:
    return json.loads(repo.saiken("case", "show", cid, "--format", "json", check=True).stdout)


def record_bytes(repo: RecordsRepo, cid: str) -> bytes:
    return (repo.root / record_rel(cid)).read_bytes()


def as_handler(repo: RecordsRepo, handler_id: str) -> dict[str, str]:
    return {"SAIKEN_IDENTITY": str(repo.handlers[handler_id][0])}


def test_log_appends_an_entry_made_by_the_handler_whose_key_is_used(repo: RecordsRepo) -> None:
    promise = (TODAY + dt.timedelta(days=10)).isoformat()
    res = repo.saiken("case", "log", "C-LOG", "--kind", "電話", "--note", "分納の相談（架空）", "--counterpart", "保証人",
                      "--party", "p2", "--identity-check", "生年月日", "--promise-amount", "１０,０００",
                      "--promise-date", promise, "--next", "入金確認", "--at", f"{YESTERDAY} 10:30",
                      env=as_handler(repo, "otsu-02"))
    assert res.returncode == 0, res.stderr
    assert "記録しました: C-LOG" in res.stdout and "担当 otsu-02" in res.stdout
    entry = show(repo, "C-LOG")["history"][-1]
    assert entry == {"at": f"{YESTERDAY}T10:30:00", "kind": "電話", "by": "otsu-02", "party": "p2",
                     "counterpart": "保証人", "identity_check": "生年月日", "note": "分納の相談（架空）",
                     "promise": {"amount": 10000, "date": promise}, "next_action": "入金確認"}
    res = repo.saiken("case", "log", "C-LOG", "--kind", "督促状送付", "--note", "督促状（架空）",
                      "--registered-mail", "123-45-67890-1")
    assert res.returncode == 0, res.stderr
    last = show(repo, "C-LOG")["history"][-1]
    assert (last["by"], last["registered_no"]) == ("otsu-01", "123-45-67890-1")


def test_a_deactivated_handler_cannot_log_although_the_record_still_opens(repo: RecordsRepo) -> None:
    before = record_bytes(repo, "C-BAD")
    assert repo.saiken("case", "show", "C-BAD", env=as_handler(repo, "otsu-03")).returncode == 0
    res = repo.saiken("case", "log", "C-BAD", "--kind", "電話", "--note", "架空", env=as_handler(repo, "otsu-03"))
    assert res.returncode == 1
    assert "有効な取扱者として登録されていません" in res.stderr and "saiken handler add" in res.stderr
    assert record_bytes(repo, "C-BAD") == before


def balance(repo: RecordsRepo, cid: str) -> int:
    rows = json.loads(repo.saiken("case", "list", "--format", "json", check=True).stdout)
    return next(r["balance"] for r in rows if r["case_id"] == cid)


def test_pay_records_the_payment_and_the_balance_follows(repo: RecordsRepo) -> None:
    assert balance(repo, "C-PAY") == 1_071_000
    day = (TODAY - dt.timedelta(days=2)).isoformat()
    res = repo.saiken("case", "pay", "C-PAY", "--date", day, "--amount", "9,000", "--note", "窓口")
    assert res.returncode == 0, res.stderr
    assert f"入金を記録しました: C-PAY {day} 金9,000円" in res.stdout
    assert "債権残高 金1,062,000円" in res.stdout
    assert balance(repo, "C-PAY") == 1_062_000
    record = show(repo, "C-PAY")
    assert record["claim"]["payments"][-1] == {"date": day, "amount": 9000, "note": "窓口"}
    assert record["history"][-1] == {"at": f"{day}T00:00:00", "kind": "入金", "by": "otsu-01",
                                     "note": "入金 金9,000円（窓口）"}


def first_expiry(repo: RecordsRepo, cid: str, party: str = "p1", key: str = "expiry") -> str:
    report = json.loads(repo.saiken("case", "limitation", cid, "--format", "json", check=True).stdout)
    return min(o[key] for o in report["installments"] if o["party"] == party and o[key])


def test_minpo_153_3_case_pay_party_renews_only_the_guarantor(repo: RecordsRepo) -> None:
    day = dt.date(2026, 1, 15)
    assert first_expiry(repo, "C-GPAY") == "2031-05-10"
    res = repo.saiken("case", "pay", "C-GPAY", "--date", day.isoformat(), "--amount", "9000", "--party", "p2",
                      "--note", "振込")
    assert res.returncode == 0, res.stderr
    assert f"入金を記録しました: C-GPAY {day} 金9,000円（入金者 p2）" in res.stdout
    record = show(repo, "C-GPAY")
    assert record["claim"]["payments"][-1] == {"date": day.isoformat(), "amount": 9000, "party": "p2", "note": "振込"}
    assert record["history"][-1]["party"] == "p2" and record["history"][-1]["note"] == "入金 金9,000円（振込）"
    assert first_expiry(repo, "C-GPAY") == "2031-05-10"                  # the borrower's period runs on
    assert first_expiry(repo, "C-GPAY", "p2", "own_expiry") == "2036-01-15"  # the guarantor's own debt renewed
    assert balance(repo, "C-GPAY") == 1_062_000


def test_a_payment_dated_before_the_last_entry_goes_where_its_date_belongs(repo: RecordsRepo) -> None:
    repo.saiken("case", "log", "C-ORDER", "--kind", "電話", "--note", "架空", "--at", f"{YESTERDAY} 15:00", check=True)
    earlier = (TODAY - dt.timedelta(days=10)).isoformat()
    repo.saiken("case", "pay", "C-ORDER", "--date", earlier, "--amount", "9000", check=True)
    repo.saiken("case", "pay", "C-ORDER", "--date", "2016-04-27", "--amount", "100", check=True)
    record = show(repo, "C-ORDER")
    at = [h["at"] for h in record["history"]]
    assert at == sorted(at) and f"{earlier}T00:00:00" in at
    assert [p["date"] for p in record["claim"]["payments"]] == ["2016-04-27", "2016-04-27", earlier]
    assert record["claim"]["payments"][1]["amount"] == 100   # after the entry of the same day


def test_a_payment_after_the_borrower_death_must_name_the_payer(repo: RecordsRepo) -> None:
    text = (FIXTURES / "case-fictional.yaml").read_text(encoding="utf-8").replace("C-TEST0001", "C-DEAD")
    text = text.replace("    birth_date: 1995-04-02\n", "    birth_date: 1995-04-02\n    deceased_on: 2025-01-10\n")
    text = text.replace("claim:", "  - {id: p3, role: heir, heir_of: p1, share: 全部, name: {family: 架空, given: 三郎},"
                                  " address: {postal_code: \"160-0000\", line: 東京都新宿区架空町1-2-3}}\nclaim:")
    repo.saiken("case", "new", "--from", "-", input=text, check=True)
    before = record_bytes(repo, "C-DEAD")
    res = repo.saiken("case", "pay", "C-DEAD", "--date", YESTERDAY, "--amount", "1000")
    assert res.returncode == 1 and "p1 は 2025-01-10 に死亡している" in res.stderr and "--party p3" in res.stderr
    assert record_bytes(repo, "C-DEAD") == before
    assert repo.saiken("case", "pay", "C-DEAD", "--date", YESTERDAY, "--amount", "1000", "--party", "p3").returncode == 0


def test_an_acknowledged_log_entry_moves_the_limitation_dates(repo: RecordsRepo) -> None:
    assert first_expiry(repo, "C-LIM") == "2031-05-10"  # 10 years from the fixture's 2021 承認
    res = repo.saiken("case", "log", "C-LIM", "--kind", "面談", "--note", "債務を認めた（架空）", "--acknowledged",
                      "--counterpart", "本人", "--at", "2026-01-15 14:00")
    assert res.returncode == 0, res.stderr
    assert first_expiry(repo, "C-LIM") == "2036-01-15"


def worklist_rows(repo: RecordsRepo, *args: str) -> dict[str, Any]:
    res = repo.saiken("worklist", "--format", "json", *args)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def test_worklist_shows_an_overdue_case_and_a_due_promise(repo: RecordsRepo) -> None:
    due = (TODAY + dt.timedelta(days=3)).isoformat()
    repo.saiken("case", "log", "C-WORK", "--kind", "電話", "--note", "架空", "--promise-amount", "5000",
                "--promise-date", due, check=True)
    rows = [a for a in worklist_rows(repo, "--sort", "due")["actions"] if a["case_id"] == "C-WORK"]
    assert [(a["kind"], a["due"]) for a in rows] == [
        ("arrears", "2016-05-27"), ("letter", "2016-06-16"), ("promise", due)]
    assert rows[0]["what"].startswith("貸付の延滞 119 回分 金1,071,000円") and rows[0]["overdue"] is True
    assert rows[1]["what"].startswith("督促状を送付する")
    assert rows[2]["what"] == "入金の約束 金5,000円（入金の確認）" and rows[2]["overdue"] is False
    # by priority (the default): the letter to send, then the promise coming up, the standing arrears last
    first = [a for a in worklist_rows(repo)["actions"] if a["case_id"] == "C-WORK"]
    assert [a["kind"] for a in first] == ["letter", "promise", "arrears"]
    assert first[0]["overdue_total"] == 1_071_000 and first[0]["flags"] == []
    table = repo.saiken("worklist", "--sort", "case", check=True).stdout
    assert "平成28年5月27日（2016-05-27）" in table and "架空" not in table
    assert table.rstrip().splitlines()[-1].startswith("計 ") and "約束期日" in table.splitlines()[-1]
    assert "架空 一郎" in repo.saiken("worklist", "--names", check=True).stdout


def test_worklist_warns_of_a_limitation_within_six_months(repo: RecordsRepo) -> None:
    data = worklist_rows(repo, "--as-of", "2031-01-01")
    rows = [a for a in data["actions"] if a["case_id"] == "C-BAD" and a["kind"] == "limitation"]
    assert [(a["due"], a["due_wareki"]) for a in rows] == [("2031-05-10", "令和13年5月10日")]
    assert data["counts"]["limitation"] >= 1
    later = worklist_rows(repo, "--as-of", "2030-10-01")["actions"]
    assert not [a for a in later if a["case_id"] == "C-BAD" and a["kind"] == "limitation"]


def test_worklist_follows_the_agreement_and_the_chain_of_letters(repo: RecordsRepo) -> None:
    agreed = [a for a in worklist_rows(repo, "--as-of", "2026-11-26")["actions"] if a["case_id"] == "C-AGR"]
    assert [(a["kind"], a["due"], a["what"]) for a in agreed if a["kind"] == "arrears"] == [
        ("arrears", "2026-07-27", "分納の延滞 4 回分 金40,000円（合意書第2〜5回）")]
    later = (TODAY + dt.timedelta(days=40)).isoformat()  # C-LOG got a 督促状 today and no answer since
    letters = [a for a in worklist_rows(repo, "--as-of", later)["actions"]
               if a["case_id"] == "C-LOG" and a["kind"] == "letter"]
    assert [(a["due"], a["what"]) for a in letters] == [
        ((TODAY + dt.timedelta(days=30)).isoformat(), "督促状に応答なし: 催告書を送付する")]


def test_a_broken_promise_stays_on_the_worklist_until_someone_follows_it_up(repo: RecordsRepo) -> None:
    made, due = TODAY - dt.timedelta(days=10), TODAY - dt.timedelta(days=5)
    repo.saiken("case", "log", "C-PROM", "--kind", "電話", "--note", "架空", "--at", f"{made} 09:00",
                "--promise-amount", "3000", "--promise-date", due.isoformat(), check=True)

    def promises() -> list[tuple[str, str]]:
        return [(a["due"], a["what"]) for a in worklist_rows(repo)["actions"]
                if a["case_id"] == "C-PROM" and a["kind"] == "promise"]

    assert promises() == [(due.isoformat(), "入金の約束 金3,000円（期日経過・入金なし）")]
    repo.saiken("case", "log", "C-PROM", "--kind", "電話", "--note", "約束の確認（架空）", check=True)
    assert promises() == []


LOG = ("case", "log", "C-BAD", "--kind", "電話", "--note", "架空")
PAY = ("case", "pay", "C-BAD", "--date", YESTERDAY)
BAD = [
    ("promise date in the past", (*LOG, "--promise-date", PAST), "--promise-date", "過去の日付"),
    ("payment above the balance", (*PAY, "--amount", "1071001"), "--amount", "債権残高（金1,071,000円）を超えて"),
    ("payment of 0", (*PAY, "--amount", "0"), "--amount", "1 円以上"),
    ("negative payment", (*PAY, "--amount", "-500"), "--amount", "1 円以上"),
    ("payment not an integer", (*PAY, "--amount", "12.5"), "--amount", "円単位の整数"),
    ("payment in the future", ("case", "pay", "C-BAD", "--date", FUTURE, "--amount", "100"), "--date", "未来の日付"),
    ("payment by an unknown party", (*PAY, "--amount", "100", "--party", "p9"), "--party", "p1、p2"),
    ("unknown counterpart", (*LOG, "--counterpart", "隣人"), "--counterpart", "本人、保証人、相続人、代理人"),
    ("unknown kind", ("case", "log", "C-BAD", "--kind", "雑談", "--note", "架空"), "--kind", "使えません"),
    ("unknown party", (*LOG, "--party", "p9"), "--party", "p1、p2"),
    ("payment through log", ("case", "log", "C-BAD", "--kind", "入金", "--note", "架空"), "--kind", "saiken case pay"),
    ("missing option without a terminal", ("case", "log", "C-BAD", "--kind", "電話"), "--note", "指定されていません"),
    # the commit hook's per-record checks run before saving (term 5): refused, not 記録しました
    ("prohibited word in a note", ("case", "log", "C-BAD", "--kind", "電話", "--note", "入信を勧められたと話した（架空）"),
     "history[1].note", "「思想・信条・宗教」に当たる語「入信」"),
    ("prohibited word in a payment note", (*PAY, "--amount", "100", "--note", "前科のため遅れた（架空）"),
     "claim.payments[1].note", "「犯罪」に当たる語「前科」"),
]


@pytest.mark.parametrize("args,option,message", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_is_refused_and_changes_nothing(repo: RecordsRepo, args: tuple[str, ...], option: str,
                                                  message: str) -> None:
    before = record_bytes(repo, "C-BAD")
    res = repo.saiken(*args, input="")
    assert res.returncode == 1, res.stdout
    assert res.stderr.startswith("エラー: ") and option in res.stderr and message in res.stderr
    assert "Traceback" not in res.stderr
    assert record_bytes(repo, "C-BAD") == before


def test_an_unknown_case_is_refused(repo: RecordsRepo) -> None:
    for args in (("case", "log", "C-NONE", "--kind", "電話", "--note", "架空"),
                 ("case", "pay", "C-NONE", "--date", YESTERDAY, "--amount", "100")):
        res = repo.saiken(*args, input="")
        assert res.returncode == 1 and "事案「C-NONE」の記録がありません" in res.stderr
    assert not (repo.root / record_rel("C-NONE")).exists()


def test_comments_in_the_record_survive_log_and_pay(repo: RecordsRepo) -> None:
    repo.saiken("case", "log", "C-CMT", "--kind", "来所", "--note", "架空の来所", check=True)
    repo.saiken("case", "pay", "C-CMT", "--date", YESTERDAY, "--amount", "9000", check=True)
    text = repo.saiken("case", "show", "C-CMT", check=True).stdout
    for comment in ("# 記録の先頭のコメント（架空）", "# 貸付総額のコメント", "# 入金の一覧のコメント", "# 経過記録のコメント"):
        assert comment in text
    assert f"- {{date: {YESTERDAY}, amount: 9000}}" in text
    assert "kind: 来所" in text and "kind: 入金" in text


def test_log_asks_for_missing_options_at_a_terminal(repo: RecordsRepo) -> None:
    res = ptyrun.run([str(VENV_BIN / "saiken"), "case", "log", "C-ASK"], env=repo.env, cwd=repo.root,
                     answers=[("種類", "面談"), ("内容", "端末で入力（架空）")])
    assert res.returncode == 0, res.output
    assert "記録しました: C-ASK" in res.output
    entry = show(repo, "C-ASK")["history"][-1]
    assert (entry["kind"], entry["note"], entry["by"]) == ("面談", "端末で入力（架空）", "otsu-01")  # NFKC, full-width brackets kept


def test_a_sensitive_word_is_saved_with_a_warning(repo: RecordsRepo) -> None:
    """要配慮 (通院) is not banned: saved, and the handler is told to keep the wording minimal."""
    res = repo.saiken("case", "log", "C-LOG", "--kind", "電話", "--note", "通院のため今月は払えない（架空）")
    assert res.returncode == 0, res.stderr
    assert "記録しました: C-LOG" in res.stdout
    assert "注意（保存はします）: 警告 [prohibited]" in res.stderr and "要配慮個人情報" in res.stderr
    assert show(repo, "C-LOG")["history"][-1]["note"] == "通院のため今月は払えない（架空）"  # full-width brackets kept (schema)


def test_a_consent_of_kou_lets_the_named_word_be_saved(repo: RecordsRepo) -> None:
    """Only a consent recorded in ledger/consents.yaml for this case and category lifts the refusal,
    as it lifts the commit hook's finding."""
    note = ("case", "log", "C-WORK", "--kind", "面談", "--note", "前科がある旨の申出（架空）")
    before = record_bytes(repo, "C-WORK")
    assert repo.saiken(*note).returncode == 1 and record_bytes(repo, "C-WORK") == before
    repo.add_handler("kou-01", org="甲", role="取扱責任者")
    (repo.root / "ledger").mkdir(exist_ok=True)
    (repo.root / "ledger" / "consents.yaml").write_text(
        "consents:\n  - {id: SHODAKU-001, case_id: C-WORK, category: 犯罪, term: 5, date: 2021-06-01, by: kou-01}\n",
        encoding="utf-8")
    try:
        res = repo.saiken(*note)
        assert res.returncode == 0, res.stderr
        other = repo.saiken("case", "log", "C-LOG", "--kind", "面談", "--note", "前科がある旨の申出（架空）")
        assert other.returncode == 1 and "[prohibited]" in other.stderr  # another case: still refused
    finally:
        repo.saiken("handler", "deactivate", "kou-01", check=True)


def test_the_shipped_worklist_rules_are_the_defaults() -> None:
    assert load_rules(ROOT) == DEFAULTS

"""saiken worklist – a day a collector can start with: priorities, flags, the next step, who to call,
and the weekly situations logged as history kinds (架空の事案, through the real CLI)."""

from __future__ import annotations

import json
import shutil
from typing import Any

import pytest

from conftest import ROOT, RecordsRepo, make_records_repo
from saiken.textwidth import width

PARTIES = """\
parties:
  - {id: p1, role: borrower, name: {family: 架空, given: 一郎}, contact: {phone: "03-0000-0001"},
     address: {postal_code: "160-0000", line: 東京都新宿区架空町1-2-3}}
  - {id: p2, role: guarantor, name: {family: 架空, given: 花子}, contact: {mobile: "090-0000-0002"},
     address: {postal_code: "160-0000", line: 東京都新宿区架空町1-2-3}}
"""


def record(case_id: str, *, contract: str = "2020-06-01", first_due: str = "2021-05-27", count: int = 120,
           principal: int = 120000, payments: str = "", history: str = "", agreements: str = "",
           status: str = "督促中") -> str:
    return (f"# 架空の人物です（テスト用）。\ncase_id: {case_id}\nstatus: {status}\n{PARTIES}"
            f"claim:\n  contract_date: {contract}\n  principal: {principal}\n"
            f"  repayment: {{method: 月賦, first_due: {first_due}, count: {count}}}\n"
            + (f"  payments:\n{payments}" if payments else "")
            + (f"history:\n{history}" if history else "")
            + (f"agreements:\n{agreements}" if agreements else ""))


CASES = {
    # an agreement whose clause takes the benefit of time away on the second miss (2026-02-27, 2026-03-27)
    "C-ACC": record("C-ACC", payments="    - {date: 2026-01-27, amount: 10000}\n",
                    agreements="  - {date: 2026-01-10, total: 60000, day: 27, amount: 10000, first_due: 2026-01-27,"
                               " signed: true, acceleration: {missed: 2}}\n",
                    history="  - {at: 2026-01-10 10:00, kind: 合意, by: otsu-01, acknowledged: true,"
                            " next_action: 毎月27日に入金確認}\n"),
    # returned mail for the borrower
    "C-RET": record("C-RET", history="  - {at: 2026-03-02 10:00, kind: 郵便返戻, by: otsu-01, party: p1,"
                                     " note: あて所に尋ねあたりません}\n"),
    # the borrower's death became known, no heirs recorded yet
    "C-DTH": record("C-DTH", history="  - {at: 2026-03-02 10:00, kind: 死亡判明, by: otsu-01, party: p1,"
                                     " note: 保証人から連絡}\n"),
    # bankruptcy of the borrower
    "C-BNK": record("C-BNK", history="  - {at: 2026-03-02 10:00, kind: 破産手続開始, by: otsu-01, party: p1,"
                                     " note: 開始決定の通知}\n"),
    # an old-law loan of 2012 whose first installments are time-barred (10 years from 2013…)
    "C-OLD": record("C-OLD", contract="2012-03-15", first_due="2013-04-27", count=240, principal=240000),
    # not yet entrusted to the office: no letter may go out yet
    "C-PRE": record("C-PRE", status="受任前"),
}


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> RecordsRepo:
    r = make_records_repo(tmp_path_factory.mktemp("worklist"),
                          ("handlers.yaml", "information-items.yaml", "contract.yaml", "limitation.yaml", "worklist.yaml",
                           "prohibited-categories.yaml", "damages.yaml"))
    shutil.copytree(ROOT / "policies" / "templates", r.root / "policies" / "templates")
    for text in CASES.values():
        r.saiken("case", "new", "--from", "-", input=text, check=True)
    return r


def rows(repo: RecordsRepo, as_of: str, case_id: str, *args: str) -> list[dict[str, Any]]:
    res = repo.saiken("worklist", "--format", "json", "--as-of", as_of, *args)
    assert res.returncode == 0, res.stderr
    return [a for a in json.loads(res.stdout)["actions"] if a["case_id"] == case_id]


def test_agreement_acceleration_is_alerted_on_the_day_it_happens(repo: RecordsRepo) -> None:
    assert not [a for a in rows(repo, "2026-03-27", "C-ACC") if a["kind"] == "acceleration"]
    found = rows(repo, "2026-03-28", "C-ACC")
    alert = next(a for a in found if a["kind"] == "acceleration")
    assert (alert["due"], alert["priority"], alert["overdue"]) == ("2026-03-28", 2, False)
    assert alert["what"] == "合意書（2026-01-10）の第2・3回が不払で当然喪失: 残額 金50,000円が一括で弁済期に"
    # the day of the loss: what a letter would demand is the two missed 分割金 and their damages (年3%,
    # 第2回 10,000円 × 29日 = 23円, 第3回 × 1日 = 0円); the whole remainder from the next day, with damages
    # on it from then (the deed's clause: 喪失の日の翌日から): on 2026-03-29 第2回 24円 (30日), 第3回 1円,
    # 第4〜6回 0円 each (1日, rounded down per installment)
    arrears = next(a for a in found if a["kind"] == "arrears")
    assert arrears["what"] == "分納の延滞 2 回分 金20,000円・損害金 金23円（合意書第2〜3回）"
    later = next(a for a in rows(repo, "2026-03-29", "C-ACC") if a["kind"] == "arrears")
    letter = next(a for a in rows(repo, "2026-05-01", "C-ACC") if a["kind"] == "letter")
    assert "未納の分割金について督促状の記録なし" in letter["what"]  # the agreement's, not the loan's 割賦金
    assert later["what"] == "期限の利益喪失（当然喪失）により合意書の残額一括 金50,000円・損害金 金25円"
    assert later["overdue_total"] == 50000
    assert "期限の利益喪失(2026-03-28)" in alert["flags"] and alert["next_action"] == "毎月27日に入金確認（2026-01-10 合意）"
    # the limitation of the agreement's last installment (due 2026-10-27) now runs from the loss
    limit = json.loads(repo.saiken("case", "limitation", "C-ACC", "--as-of", "2026-04-01", "--format", "json",
                                   check=True).stdout)
    last = next(o for o in limit["installments"] if o["party"] == "p1" and o["installment"] == 6)
    assert last["agreement"] == "2026-01-10" and last["due"] == "2026-06-27"
    assert (last["expiry"], last["status"]) == ("2031-03-27", "進行中")
    assert limit["acceleration"]["kind"] == "当然喪失" and limit["acceleration"]["date"] == "2026-03-28"
    repo.saiken("case", "log", "C-ACC", "--kind", "期限の利益喪失", "--note", "当然喪失を確認（架空）",
                "--at", "2026-03-30 10:00", check=True)
    assert not [a for a in rows(repo, "2026-04-01", "C-ACC") if a["kind"] == "acceleration"]


def test_returned_mail_asks_for_an_address_search_and_turns_the_letters_to_the_guarantor(repo: RecordsRepo) -> None:
    found = {a["kind"]: a for a in rows(repo, "2026-03-20", "C-RET")}
    assert found["address"]["due"] == "2026-03-16" and found["address"]["priority"] == 4
    assert "p1 宛ての郵便が返戻（2026-03-02）" in found["address"]["what"]
    assert found["letter"]["what"] == "主たる債務者に請求できません: 保証債務履行請求書を送付する（p2）"
    assert "宛所不明(p1)" in found["address"]["flags"]
    res = repo.saiken("doc", "督促状", "C-RET", "--date", "2026-03-20")
    assert res.returncode == 1 and "返戻" in res.stderr and "--kind 住所調査 --party p1" in res.stderr


def test_a_death_asks_for_the_heirs(repo: RecordsRepo) -> None:
    heirs = next(a for a in rows(repo, "2026-04-10", "C-DTH") if a["kind"] == "heirs")
    assert heirs["due"] == "2026-04-01" and "p1 の死亡（2026-03-02）: 相続人を調査（戸籍）" in heirs["what"]
    assert "死亡日を deceased_on に記録" in heirs["what"] and "死亡(p1)" in heirs["flags"]


def test_bankruptcy_asks_for_a_claim_filing_until_it_is_logged(repo: RecordsRepo) -> None:
    found = {a["kind"]: a for a in rows(repo, "2026-03-20", "C-BNK")}
    assert found["bankruptcy"]["due"] == "2026-03-16" and "債権届出をする" in found["bankruptcy"]["what"]
    assert "破産(p1)" in found["bankruptcy"]["flags"]
    repo.saiken("case", "log", "C-BNK", "--kind", "債権届出", "--party", "p1", "--note", "届出（架空）",
                "--at", "2026-03-10 10:00", check=True)
    assert "bankruptcy" not in {a["kind"] for a in rows(repo, "2026-03-20", "C-BNK")}


def test_overdue_totals_leave_out_time_barred_installments(repo: RecordsRepo) -> None:
    arrears = next(a for a in rows(repo, "2026-01-01", "C-OLD") if a["kind"] == "arrears")
    # 2013-04-27 … 2015-12-27 (33 installments) completed by 2025-12-27; 2016-01-27 … 2025-12-27 remain
    assert arrears["what"] == "貸付の延滞 120 回分 金120,000円・損害金 金25,863円（第34〜153回、時効完成等 33 回分を除く）"
    assert arrears["overdue_total"] == 120000


def test_the_table_puts_what_expires_first_on_top_with_flags_and_contacts(repo: RecordsRepo) -> None:
    table = repo.saiken("worklist", "--as-of", "2026-03-28", "--names", check=True).stdout.splitlines()
    body = [line for line in table[3:] if not line.startswith(" " * 6) and not line.startswith("計")]
    kinds = [line.split()[2] for line in body]
    assert kinds.index("時効管理") < kinds.index("期限の利益喪失") < kinds.index("書面送付")
    assert "      連絡先: 架空 花子（p2）  090-0000-0002" in table   # C-RET: the borrower cannot be written to
    assert "      連絡先: 架空 一郎（p1）  03-0000-0001" in table
    assert max(width(line) for line in table) < 160
    assert "架空" not in repo.saiken("worklist", "--as-of", "2026-03-28", check=True).stdout


def test_forked_workers_give_the_same_worklist(repo: RecordsRepo) -> None:
    """From SAIKEN_PARALLEL_MIN records on, every record is read on every core: the same list, the
    same order, the same warnings and contacts as in one process."""
    args = ("worklist", "--as-of", "2026-03-28", "--names")
    parallel = repo.saiken(*args, env={"SAIKEN_PARALLEL_MIN": "1"}, check=True)
    sequential = repo.saiken(*args, env={"SAIKEN_PARALLEL_MIN": "100000"}, check=True)
    assert parallel.stdout == sequential.stdout and parallel.stderr == sequential.stderr
    assert len(parallel.stdout.splitlines()) > 3
    listed = ("case", "list", "--overdue", "--as-of", "2026-03-28", "--format", "json")
    assert repo.saiken(*listed, env={"SAIKEN_PARALLEL_MIN": "1"}, check=True).stdout \
        == repo.saiken(*listed, env={"SAIKEN_PARALLEL_MIN": "100000"}, check=True).stdout


def test_case_list_overdue_is_the_worklist_arrears_without_time_barred_installments(repo: RecordsRepo) -> None:
    listed = {r["case_id"]: r for r in json.loads(repo.saiken("case", "list", "--overdue", "--as-of", "2026-01-01",
                                                              "--format", "json", check=True).stdout)}
    arrears = next(a for a in rows(repo, "2026-01-01", "C-OLD") if a["kind"] == "arrears")
    assert listed["C-OLD"]["overdue"] == arrears["overdue_total"] == 120000      # 33 barred installments left out
    assert listed["C-OLD"]["overdue_damages"] == 25863
    # the balance beside them is the principal after 民法489条 on that day, as `case allocation` says it
    for case_id in ("C-OLD", "C-ACC"):
        shown = repo.saiken("case", "allocation", case_id, "--as-of", "2026-01-01", check=True).stdout
        assert f"現在の残高: 元金 金{listed[case_id]['balance']:,}円" in shown, (case_id, shown)
    assert listed["C-OLD"]["balance"] == 240000  # no payments: the whole principal, time-barred parts included
    # under the signed agreement (2026-01-10) its 分割金, not the loan's installments: 第2・3回 unpaid on 2026-03-28
    on_loss = {r["case_id"]: r for r in json.loads(repo.saiken("case", "list", "--overdue", "--as-of", "2026-03-28",
                                                               "--format", "json", check=True).stdout)}
    assert (on_loss["C-ACC"]["overdue"], on_loss["C-ACC"]["overdue_damages"]) == (20000, 23)
    table = repo.saiken("case", "list", "--overdue", "--as-of", "2026-03-28", check=True).stdout
    assert "延滞額" in table and "遅延損害金" in table and "金20,000円" in table
    assert "延滞額" not in repo.saiken("case", "list", check=True).stdout


def test_a_case_not_yet_entrusted_gets_no_letter_but_its_deadlines(repo: RecordsRepo) -> None:
    pre = rows(repo, "2026-03-28", "C-PRE")
    assert pre and "letter" not in {a["kind"] for a in pre} and "arrears" in {a["kind"] for a in pre}
    assert "受任前（書面は受任の後）" in pre[0]["flags"]
    same = rows(repo, "2026-03-28", "C-RET")  # the same loan entrusted: the letter is there
    assert "letter" in {a["kind"] for a in same}

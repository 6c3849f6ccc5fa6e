"""What the letters demand and say, read back from the PDFs (pypdf): 元金 and 遅延損害金 from the
民法489条 allocation as of the letter's date, never a time-barred installment, how to pay and whom to
ask, that the office acts for the ward, and the 合意書's originals – all from fictional records (架空).

The damages are recomputed here by hand, independently of saiken: for each installment,
9,000 × rate × (letter date − due date) / 365, rounded down, at 5 % if the default began (the day
after the due date) before 2020-04-01 and 3 % otherwise.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from fractions import Fraction
from pathlib import Path

import pytest

from conftest import RecordsRepo, Result
from saiken.core import editor
from test_documents import DATE, add_document_policies, case_text, in_table, issue, pdf_text
from test_documents import repo  # noqa: F401 – the fixture: the fictional case with its 合意書, ready for `doc`

D = dt.date.fromisoformat


def monthly(first: dt.date, count: int) -> list[dt.date]:
    return [dt.date(first.year + (first.month - 1 + n) // 12, (first.month - 1 + n) % 12 + 1, first.day)
            for n in range(count)]


def damages_by_hand(dues: list[dt.date], amount: int, on: dt.date) -> int:
    total = 0
    for due in dues:
        rate = Fraction(5 if due + dt.timedelta(days=1) < D("2020-04-01") else 3, 100)
        total += math.floor(amount * rate * (on - due).days / 365)
    return total


def run_doc(repo: RecordsRepo, *args: str, date: str = DATE) -> Result:
    return repo.saiken("doc", *args, "--date", date)


def made(res: Result) -> Path:
    """The PDF a successful `saiken doc` reports."""
    return Path(res.stdout.split("作成しました: ")[1].splitlines()[0])


# --- 元金 and 遅延損害金 ----------------------------------------------------------------------------------

def test_minpo_419_the_letter_prints_principal_and_damages_as_of_its_date(repo: RecordsRepo) -> None:
    # the fixture: 120 × 9,000 from 2016-04-27, the first paid on its due date; on 2021-06-01 第2〜62回
    # (2016-05-27 … 2021-05-27) are overdue
    dues = monthly(D("2016-05-27"), 61)
    expected = damages_by_hand(dues, 9000, D(DATE))
    assert expected == 67567
    text = pdf_text(issue(repo, "督促状", "C-TEST0001"))
    in_table((f"遅延損害金金{expected:,}円（令和3年6月1日現在）", f"請求額合計金{549000 + expected:,}円",
              "遅延損害金の率第2〜48回は年5パーセント、第49〜62回は年3パーセント"), text)
    # a week later the same letter demands more damages – never a difference of two balances
    later = pdf_text(_issue(repo, "督促状", "C-TEST0001", date="2021-06-08"))
    in_table((f"遅延損害金金{damages_by_hand(dues, 9000, D('2021-06-08')):,}円（令和3年6月8日現在）",), later)


def test_minpo_404_one_figure_is_one_group_across_the_statutory_periods(repo: RecordsRepo) -> None:
    """The statutory rate was reviewed for 2023-04 and stayed 3 %: two periods of law, one figure. The
    letter said 第49〜84回は年3パーセント、第85〜86回は年3パーセント."""
    text = pdf_text(_issue(repo, "督促状", "C-TEST0001", date="2023-06-01"))
    in_table(("遅延損害金の率第2〜48回は年5パーセント、第49〜86回は年3パーセント",), text)


# --- never a time-barred installment ----------------------------------------------------------------------

BARRED_CASE = """\
# 架空の人物です（テスト用）。実在の人物とは関係ありません。
case_id: C-TEST0002
status: 督促中
parties:
  - id: p1
    role: borrower
    name: {family: 架空, given: 三郎}
    address: {postal_code: "160-0000", line: 東京都新宿区架空町4-5-6}
  - id: p2
    role: guarantor
    name: {family: 架空, given: 春子}
    address: {postal_code: "160-0000", line: 東京都新宿区架空町4-5-6}
claim:
  contract_date: 2012-03-15
  principal: 1080000
  repayment: {method: 月賦, first_due: 2012-04-27, count: 120}
history: []
"""


@pytest.fixture
def barred_repo(repo: RecordsRepo) -> RecordsRepo:
    repo.saiken("case", "new", "--from", "-", input=BARRED_CASE, check=True)
    return repo


def test_minpo_166_145_letters_never_demand_time_barred_installments(barred_repo: RecordsRepo) -> None:
    # old-law loan (10 years from each due date, nothing renewed it): on 2023-06-01 第1〜14回
    # (2012-04-27 … 2013-05-27, 126,000) are time-barred; 第15〜120回 (2013-06-27 … 2022-03-27) are demanded
    on = "2023-06-01"
    demanded = monthly(D("2013-06-27"), 106)
    damages = damages_by_hand(demanded, 9000, D(on))
    barred_damages = damages_by_hand(monthly(D("2012-04-27"), 14), 9000, D(on))
    for kind, extra in (("督促状", ()), ("催告書", ()), ("催告書", ("--naiyo-shomei",)), ("保証債務履行請求書", ())):
        res = run_doc(barred_repo, kind, "C-TEST0002", *extra, date=on)
        assert res.returncode == 0, res.stderr
        squashed = flat(body_text(made(res)))
        assert f"金{954000 + damages:,}円" in squashed, kind  # 請求額合計
        assert f"金{damages:,}円" in squashed and "金954,000円" in squashed, kind
        assert "平成25年6月27日から令和4年3月27日までの" in squashed and "106回分" in squashed, kind
        for amount in (126000, 1080000 + damages + barred_damages, damages + barred_damages, 1080000 + damages):
            assert f"金{amount:,}円" not in squashed, (kind, amount)
        assert "平成24年4月27日" not in squashed, kind  # the first barred due date
        # the lawyer is told, outside the letter
        assert re.search(r"注意: 当事者 p[12] について消滅時効が完成している割賦金 14 回分（第1〜14回、"
                         r"弁済期 2012-04-27〜2013-05-27、元金 金126,000円）", res.stderr), res.stderr
        assert "援用" in res.stderr and "弁護士が判断" in res.stderr


def test_a_letter_that_would_demand_nothing_is_refused(barred_repo: RecordsRepo) -> None:
    # 2032-04-01: all 120 installments are time-barred for the borrower
    res = run_doc(barred_repo, "督促状", "C-TEST0002", date="2032-04-01")
    assert res.returncode == 1 and "請求できる金額がないため、督促状を作成できません（すべて消滅時効が完成しています）" in res.stderr
    # before the first due date nothing is overdue
    res = run_doc(barred_repo, "催告書", "C-TEST0002", date="2012-04-27")
    assert res.returncode == 1 and "（延滞している割賦金がありません）" in res.stderr
    assert "saiken case allocation C-TEST0002" in res.stderr
    assert not list(barred_repo.root.glob("out/*.pdf"))
    assert not (barred_repo.root / "ledger" / "exports.yaml").exists()


def test_acceleration_by_demand_makes_the_whole_balance_due(repo: RecordsRepo, fictional_case_text: str) -> None:
    # claim.demanded_on 2021-05-31: 第63〜120回 fall due that day, their damages run from 2021-06-01
    text = case_text(fictional_case_text, agreement=False).replace("C-TEST0001", "C-TEST0003").replace(
        "  payments:\n", "  demanded_on: 2021-05-31\n  payments:\n")
    repo.saiken("case", "new", "--from", "-", input=text, check=True)
    out = pdf_text(_issue(repo, "督促状", "C-TEST0003"))
    # 58 × 9,000 more principal, and 1 day of damages on each: 9,000 × 3% / 365 = 0.7 → 0
    in_table(("期限の利益喪失令和3年5月31日（請求喪失）", "元金（残額一括）金1,071,000円",
              "遅延損害金金67,567円（令和3年6月1日現在）", "請求額合計金1,138,567円"), out)


def _issue(repo: RecordsRepo, kind: str, case_id: str, *extra: str, date: str = DATE) -> Path:
    res = run_doc(repo, kind, case_id, *extra, date=date)
    assert res.returncode == 0, res.stderr
    return made(res)


# --- how to pay, whom to ask, on whose behalf -------------------------------------------------------------

MANDATE = "架空法律事務所（仮）は、新宿区から奨学資金貸付金の督促及び回収の業務を受任し、新宿区長の代理人として本書をお送りしています。"
ACCOUNT = "架空銀行（要設定）　新宿支店（要設定）　普通預金　口座番号0000000　口座名義　新宿区会計管理者（要設定）"
CONTACT = "架空法律事務所（仮）　担当　架空 次郎（要設定）　電話　03-0000-0000（受付時間　平日午前9時30分から午後5時30分まで（要設定））"


def flat(text: str) -> str:
    return re.sub(r"[ \u3000]", "", text)


def body_text(path: Path) -> str:
    """The PDF's text without the page footers (「1 / 2」), so a paragraph may run on to the next page."""
    import pypdf
    lines = [ln for page in pypdf.PdfReader(path).pages for ln in page.extract_text().splitlines()
             if not re.fullmatch(r"\d+ / \d+", ln.strip())]
    return "".join(lines)


@pytest.mark.parametrize("kind, extra", [("督促状", ()), ("催告書", ()), ("催告書", ("--naiyo-shomei",)),
                                         ("保証債務履行請求書", ())], ids=["dunning", "demand", "naiyo", "guarantor"])
def test_every_letter_says_how_to_pay_whom_to_ask_and_for_whom(repo: RecordsRepo, kind: str, extra: tuple[str, ...]) -> None:
    res = run_doc(repo, kind, "C-TEST0001", *extra)
    assert res.returncode == 0, res.stderr
    text = flat(body_text(made(res)))
    for s in (MANDATE, "振込みによりお支払いください", ACCOUNT, CONTACT):
        assert flat(s) in text, s
    # the shipped placeholders are printed, and the lawyer is told to set them
    assert "documents.payment の bank・branch・account_holder、documents.contact の person・hours が要設定のまま" in res.stderr
    # the fixture's 合意書 is not signed yet: the letter follows the loan, with no word about a plan
    assert "合意書" not in res.stderr


def set_contract(repo: RecordsRepo, old: str, new: str) -> None:
    path = repo.root / "policies" / "contract.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_payment_by_the_wards_payment_slip(repo: RecordsRepo) -> None:
    set_contract(repo, "    method: 振込\n", "    method: 納付書\n")
    text = flat(pdf_text(_issue(repo, "督促状", "C-TEST0001")))
    assert "同封の納付書により、納付書に記載の金融機関等の窓口でお支払いください。" in text and "口座番号" not in text
    deed = flat(pdf_text(_issue(repo, "合意書", "C-TEST0001")))
    assert "甲の発行する納付書により納付する方法により支払う。" in deed and "振込手数料" not in deed


@pytest.mark.parametrize("old, new, message, kinds", [
    ("  contact:\n    person: 架空 次郎（要設定）\n    phone: 03-0000-0000\n"
     "    hours: 平日午前9時30分から午後5時30分まで（要設定）\n", "",
     "文書に印字する問合せ先（documents.contact）がありません", ("督促状", "催告書")),
    ("    bank: 架空銀行（要設定）\n", "", "documents.payment に bank（金融機関名） がありません", ("督促状", "合意書")),
    ("    hours: 平日午前9時30分から午後5時30分まで（要設定）\n", "    hours: ''\n",
     "documents.contact に hours（受付時間） がありません", ("保証債務履行請求書",)),
    ("    method: 振込\n", "    method: 現金\n", "documents.payment.method は 振込 か 納付書 です（今は 現金）",
     ("督促状", "合意書")),
], ids=["no-contact", "no-bank", "empty-hours", "bad-method"])
def test_missing_payment_or_contact_is_refused_and_nothing_written(repo: RecordsRepo, old: str, new: str,
                                                                  message: str, kinds: tuple[str, ...]) -> None:
    set_contract(repo, old, new)
    for kind in kinds:
        res = run_doc(repo, kind, "C-TEST0001")
        assert res.returncode == 1 and "Traceback" not in res.stderr
        assert f"エラー: policies/contract.yaml: {message}" in res.stderr, res.stderr
        assert "対処: " in res.stderr and "例:" in res.stderr
    assert not list(repo.root.glob("out/*.pdf"))
    assert not (repo.root / "ledger" / "exports.yaml").exists()


def test_documents_need_the_damages_policy(repo: RecordsRepo) -> None:
    (repo.root / "policies" / "damages.yaml").unlink()
    res = run_doc(repo, "督促状", "C-TEST0001")
    assert res.returncode == 1 and "policies/damages.yaml: 遅延損害金の率のファイル（ポリシーファイル）がありません" in res.stderr
    assert not list(repo.root.glob("out/*.pdf"))


# --- the 合意書 --------------------------------------------------------------------------------------------

def test_agreement_one_original_for_each_signing_party_each_named(records_repo: RecordsRepo,
                                                                    fictional_case_text: str) -> None:
    add_document_policies(records_repo.root)
    second = ("  - id: p3\n    role: guarantor\n    name: {family: 架空, given: 夏子}\n"
              "    address: {postal_code: \"169-0000\", line: 東京都新宿区架空三丁目5-6}\nclaim:\n")
    text = case_text(fictional_case_text).replace("\nclaim:\n", "\n" + second, 1).replace("parties: [p1, p2]",
                                                                                         "parties: [p1, p2, p3]")
    records_repo.saiken("case", "new", "--from", "-", input=text, check=True)
    deed = pdf_text(_issue(records_repo, "合意書", "C-TEST0001"))
    for s in ("借受人架空　一郎（以下「乙」という。）及び連帯保証人架空　花子（以下「丙」という。）"
              "及び連帯保証人架空　夏子（以下「丁」という。）",
              "本書4通を作成し、甲、乙、丙及び丁が記名押印の上、各自1通を保有する",
              "丙及び丁は、第1条の債務を承認し", "乙、丙及び丁は、住所"):
        assert s in deed, s
    in_table(("丁（連帯保証人）", "架空　夏子"), deed)
    assert "本書2通" not in deed


def test_agreement_without_a_guarantor_is_made_in_two_originals(records_repo: RecordsRepo,
                                                                fictional_case_text: str) -> None:
    add_document_policies(records_repo.root)
    records_repo.saiken("case", "new", "--from", "-", check=True,
                        input=case_text(fictional_case_text).replace("parties: [p1, p2]", "parties: [p1]"))
    deed = pdf_text(_issue(records_repo, "合意書", "C-TEST0001"))
    assert "本書2通を作成し、甲及び乙が記名押印の上、各自1通を保有する" in deed and "丙" not in deed


def test_agreement_total_must_be_the_principal_and_damages_of_its_date(records_repo: RecordsRepo,
                                                                      fictional_case_text: str) -> None:
    add_document_policies(records_repo.root)
    records_repo.saiken("case", "new", "--from", "-", check=True,
                        input=case_text(fictional_case_text).replace("total: 1138567", "total: 1071000"))
    res = run_doc(records_repo, "合意書", "C-TEST0001")
    assert res.returncode == 1
    assert ("合意の総額（agreements の total: 金1,071,000円）が、合意日（令和3年6月1日）現在の債務（元金 金1,071,000円、"
            "遅延損害金 金67,567円、合計 金1,138,567円）と一致しません") in res.stderr
    assert "total を 1138567 にしてください" in res.stderr and "saiken case allocation C-TEST0001 --as-of 2021-06-01" in res.stderr
    assert not list(records_repo.root.glob("out/*.pdf"))


def test_agreement_refusal_quotes_the_case_new_template_and_the_template_works(records_repo: RecordsRepo,
                                                                             fictional_case_text: str) -> None:
    """Issue 15: the refusal asked for `agreements`, which the `case new` template did not have."""
    add_document_policies(records_repo.root)
    records_repo.saiken("case", "new", "--from", "-", check=True, input=case_text(fictional_case_text, agreement=False))
    res = run_doc(records_repo, "合意書", "C-TEST0001")
    assert res.returncode == 1 and "合意（agreements）の記録がないため" in res.stderr
    example = [code for code, _ in editor.AGREEMENT_EXAMPLE]
    for code in example:
        assert code in res.stderr, code
    template = editor.template(_store(records_repo), "C-NEW00001")
    assert "agreements: []" in template
    for code in example:
        assert f"{editor.GUIDE_MARK}   {code}" in template, code
    # the example, uncommented, with the total `case allocation` gives for its date, makes a 合意書
    alloc = records_repo.saiken("case", "allocation", "C-TEST0001", "--as-of", "2026-06-01", "--format", "json")
    total = json.loads(alloc.stdout)["balance"]["total"]
    entry = "\n".join(example).replace("total: 1138567", f"total: {total}")
    text = case_text(fictional_case_text, agreement=False).replace("C-TEST0001", "C-TEST0009").replace(
        "history:\n", "agreements:\n" + "\n".join("  " + line for line in entry.splitlines()) + "\nhistory:\n")
    records_repo.saiken("case", "new", "--from", "-", input=text, check=True)
    deed = pdf_text(_issue(records_repo, "合意書", "C-TEST0009"))
    assert "令和8年6月1日現在" in deed and f"金{total:,}円" in deed


def _store(repo: RecordsRepo):
    from saiken.core.records import Store
    return Store.open(repo.root)


def test_agreement_leaves_time_barred_installments_out_with_a_warning(barred_repo: RecordsRepo) -> None:
    # an agreement on 2023-06-01 in the case with 第1〜14回 time-barred: the deed acknowledges 第15〜120回 only
    on = D("2023-06-01")
    total = 954000 + damages_by_hand(monthly(D("2013-06-27"), 106), 9000, on)
    text = BARRED_CASE.replace("C-TEST0002", "C-TEST0004").replace(
        "history: []\n", f"agreements:\n  - {{date: 2023-06-01, total: {total}, day: 27, amount: 20000,"
                         " first_due: 2023-06-27, parties: [p1, p2]}\nhistory: []\n")
    barred_repo.saiken("case", "new", "--from", "-", input=text, check=True)
    res = run_doc(barred_repo, "合意書", "C-TEST0004")
    assert res.returncode == 0, res.stderr
    deed = pdf_text(made(res))
    assert f"令和5年6月1日現在、金{total:,}円" in deed and "元金として金954,000円" in deed
    assert "注意: 借受人 について消滅時効が完成している割賦金 14 回分" in res.stderr and "合意書の金額に含めていません" in res.stderr


def test_a_moved_contract_setting_is_refused_with_where_it_went(repo: RecordsRepo) -> None:
    set_contract(repo, "    court: 東京地方裁判所又は東京簡易裁判所", "    damages_rate: 年10パーセント\n"
                 "    court: 東京地方裁判所又は東京簡易裁判所")
    res = run_doc(repo, "合意書", "C-TEST0001")
    assert res.returncode == 1 and "documents.agreement の damages_rate は使わなくなりました" in res.stderr
    assert "damages_rate → policies/damages.yaml" in res.stderr

"""The generated pages as plain Python: term status from the checks and ledger/, small-count suppression."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from conftest import ROOT
from saiken.publishing import council, results
from saiken.publishing.site import pages
from saiken.core.layout import manifest_rel, record_rel

TERMS = """\
terms:
  - number: 2
    heading: 秘密の保持
    text: 乙は、業務に関して知り得た個人情報を一切第三者に漏らしてはならない。
    checks: [plaintext, pii_outside]
  - number: 13
    heading: 個人情報を取り扱う従事者の指定
    text: 乙は、取扱責任者及び取扱者を指定し、甲に報告するものとする。
    checks: [recipients]
    evidence:
      - {file: policies/handlers.yaml, what: 指定日と報告日, due: on-change}
  - number: 16
    heading: 監査等
    text: 前項による確認は、年度当たり1回以上行うものとする。
    evidence:
      - {file: ledger/audits.yaml, what: 年度ごとの確認の実施日, due: fiscal-year}
  - number: 18
    heading: 従事者に対する教育
    text: 乙は、教育を実施する。
    evidence:
      - {file: ledger/trainings.yaml, what: 従事者教育の実施, due: fiscal-year}
  - number: 19
    heading: 事故発生時等における報告
    text: 乙は、事故を報告する。
    evidence:
      - {file: ledger/incidents.yaml, what: 事故ごとの通知, due: on-event}
  - {number: 21, heading: 損害の賠償, text: 乙は、損害を賠償する。, contract-only: true}
measures:
  - {id: contractor-system-4, party: 乙, kind: system, number: 4, text: アクセス制御を行わせる。, checks: [plaintext]}
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "policies", tmp_path / "policies")
    (tmp_path / "policies" / "special-terms.yaml").write_text(TERMS, encoding="utf-8")
    contract = tmp_path / "policies" / "contract.yaml"
    contract.write_text(contract.read_text(encoding="utf-8").replace("{from: 2021-04-01, to: 2022-03-31}",
                                                                     "{from: 2025-04-01, to: 2026-03-31}"), encoding="utf-8")
    (tmp_path / "ledger").mkdir()
    (tmp_path / "ledger" / "trainings.yaml").write_text(
        "trainings:\n  - {date: 2025-06-10, attendees: [otsu-01], topic: 個人情報の適正な管理}\n", encoding="utf-8")
    (tmp_path / "ledger" / "audits.yaml").write_text(
        "audits:\n  - {date: 2024-11-01, by: kou-01, method: 立入り調査, result: 適正}\n", encoding="utf-8")
    return tmp_path


def _row(page: str, number: int | str) -> str:
    return next(line for line in page.splitlines() if line.startswith(f"| {number} |"))


def _status(row: str) -> str:
    return row.rstrip(" |").rsplit(" | ", 1)[-1]


def test_term_status_follows_the_ledger(repo: Path) -> None:
    page = pages.terms_page(repo, dt.date(2026, 1, 15))   # 令和7年度, the contract's first year
    row18, row16 = _status(_row(page, 18)), _status(_row(page, 16))
    assert row18.startswith(f"**{pages.GREEN} 問題なし**") and "今年度実施済み（最終 令和7年6月10日）" in row18
    # the audit is due by the end of the fiscal year: amber until then
    assert row16.startswith(f"**{pages.AMBER} 要確認**")
    assert "未記録: 甲による確認・監査の記録（`ledger/audits.yaml`、期限 令和8年3月31日）" in row16
    assert "今年度の記録なし（最終 令和6年11月1日）" in row16
    assert "記録ファイルなし（そのつど）" in _row(page, 19) and _status(_row(page, 19)).startswith(f"**{pages.GREEN}")
    assert "契約の文言のみ" in _row(page, 21) and _status(_row(page, 21)) == "－"
    assert "`recipients`" in _row(page, 13) and "検査（`recipients`）で指摘なし" in _row(page, 13)
    assert "アクセス制御を行わせる。" in page and "`plaintext`" in page
    assert "求めた日時: " in page and "Git の管理外" in page and "基準日: 令和8年1月15日" in page


def test_next_fiscal_year_turns_the_missing_audit_red(repo: Path) -> None:
    page = pages.terms_page(repo, dt.date(2026, 4, 1))    # 令和8年度: 令和7年度's audit never came
    assert _status(_row(page, 16)).startswith(f"**{pages.RED} 要対応**")
    assert "期限切れ: 甲による確認・監査の記録（`ledger/audits.yaml`、期限 令和8年3月31日）" in _row(page, 16)
    row18 = _status(_row(page, 18))   # last year's training counted for last year; this year's is due next March
    assert row18.startswith(f"**{pages.AMBER} 要確認**") and "期限 令和9年3月31日" in row18


def test_findings_turn_terms_red_without_quoting_them(repo: Path) -> None:
    (repo / "records").mkdir()
    (repo / "records" / "C-TEST0001-鷺ノ宮.yaml").write_text("name: 鷺ノ宮 蒼之介\n", encoding="utf-8")
    (repo / "ledger" / "memo.yaml").write_text("memo: 連絡先 03-1234-5678\n", encoding="utf-8")
    page = pages.terms_page(repo, dt.date(2026, 1, 15))
    row2 = _status(_row(page, 2))
    assert row2.startswith(f"**{pages.RED} 要対応**")
    assert "`plaintext` エラー 1件（records/）" in row2 and "`pii_outside` 警告 1件（ledger/）" in row2
    measure = _status(next(line for line in page.splitlines() if line.startswith("| 乙 システム上 4 |")))
    assert measure.startswith(f"**{pages.RED}") and "`plaintext` エラー 1件（records/）" in measure
    assert _status(_row(page, 18)).startswith(f"**{pages.GREEN}")       # other terms unaffected
    for leaked in ("鷺ノ宮", "蒼之介", "C-TEST0001", "1234-5678", "memo.yaml"):
        assert leaked not in page
    assert f"{pages.RED} 要対応 2" in page                             # term 2 and the measure
    # the summary at the top: each problem once, with the rows it concerns
    assert f"- {pages.RED} `plaintext` エラー 1件（records/） ― 特記事項2、情報保護対策（乙 システム上 4）" in page
    assert page.startswith("---\ntitle: 特記事項と遵守状況\nhide:\n  - toc\n---\n")   # the wide tables get the width


def test_terms_page_without_the_terms_file(repo: Path) -> None:
    (repo / council.TERMS_FILE).unlink()
    assert "policies/special-terms.yaml がありません" in pages.terms_page(repo, dt.date(2026, 1, 15))


@pytest.mark.parametrize("counts,expected", [
    ({"督促中": 6, "分納中": 4, "完済": 2}, {"督促中": "6件", "分納中": "（秘匿）", "完済": "（秘匿）"}),
    ({"督促中": 6, "分納中": 3, "完済": 0}, {"督促中": "（秘匿）", "分納中": "（秘匿）", "完済": "0件"}),
    ({"督促中": 6, "分納中": 9}, {"督促中": "6件", "分納中": "9件"}),
    ({"督促中": 2, "完済": 1, "分納中": 7}, {"督促中": "（秘匿）", "完済": "（秘匿）", "分納中": "7件"}),
])
def test_small_counts_cannot_be_recovered_from_the_total(counts: dict[str, int], expected: dict[str, str]) -> None:
    assert results.status_counts(counts, 5) == expected


def test_threshold_is_a_policy_value(repo: Path) -> None:
    (repo / "ledger" / "aggregates.yaml").write_text(
        "fiscal_years:\n  - {fiscal_year: 2022, cases: 3, assessed: 1000000, collected: 100000}\n", encoding="utf-8")
    assert "（秘匿）" in pages.results_page(repo)
    (repo / results.PUBLICATION_FILE).write_text("min_cases: 3\n", encoding="utf-8")
    page = pages.results_page(repo)
    assert "100,000円" in page and "10.0%" in page and "results-chart.svg" in page
    assert "10.0%" in (results.chart_svg(repo) or "")


def test_results_page_without_aggregates(repo: Path) -> None:
    assert "ledger/aggregates.yaml がまだないため" in pages.results_page(repo)
    assert pages.CHART not in pages.generate(repo)


def test_terms_page_flags_a_measure_worded_unlike_the_report(repo: Path) -> None:
    page = pages.terms_page(repo, dt.date(2026, 1, 15))
    warning = next(line for line in page.splitlines() if "文言が違います" in line)
    assert "contractor-system-4" in warning and "ward-system-1" in warning   # shortened, and missing
    items = [m for side in council.load(repo)["measures"].values() for g in side for m in g["items"]]
    path = repo / council.TERMS_FILE
    text = path.read_text(encoding="utf-8").split("measures:")[0]
    path.write_text(text + "measures:\n" + "".join(
        f"  - {{id: {m['id']}, party: 乙, kind: system, number: 1, text: \"{m['text']}\"}}\n" for m in items),
        encoding="utf-8")
    assert "文言が違います" not in pages.terms_page(repo, dt.date(2026, 1, 15))


def test_a_term_whose_check_needs_a_key_is_unchecked_not_green(repo: Path) -> None:
    """Term 5 (prohibited, consents) once showed 問題なし while its own note said prohibited did not run."""
    from saiken.core import crypto

    terms = repo / "policies" / "special-terms.yaml"
    terms.write_text(TERMS.replace("terms:\n", "terms:\n"
                                   "  - {number: 3, heading: 収集の制限, text: 乙は、収集しない。, checks: [schema]}\n"
                                   "  - {number: 5, heading: 収集の禁止, text: 乙は、収集しない。, checks: [prohibited, consents]}\n"),
                     encoding="utf-8")
    (repo / "records").mkdir()
    _, public = crypto.generate_identity()
    (repo / record_rel("C-TEST0001")).parent.mkdir(parents=True, exist_ok=True)
    (repo / record_rel("C-TEST0001")).write_bytes(
        crypto.encrypt(b"case_id: C-TEST0001\n", [crypto.RecipientKey.parse(public)]))
    page = pages.terms_page(repo, dt.date(2026, 1, 15))
    for number in (3, 5):
        row = _status(_row(page, number))
        assert row.startswith(f"**{pages.UNCHECKED}**"), row
        assert pages.WORDS[0] not in row
    row5 = _status(_row(page, 5))
    assert "`prohibited` は記録の中身を読むため鍵が必要で、ここでは未検査" in row5
    assert "検査（`consents`）で指摘なし" in row5           # what did run is still said

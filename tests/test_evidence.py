"""A fiscal year of evidence, played through the real CLI on one repository (module scope, in order):
training, a CD-R and a 書留 handover, an audit, an incident with its report, the contract end.
Each step asserts what the 取扱状況報告 and its open points say; ledger/ never holds a name."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import RecordsRepo
from evidence_story import CASES, PERSONAL, ledger_text, make_repo, pdf_text, set_contract_end
from saiken.core import crypto, yamlio

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> RecordsRepo:
    return make_repo(tmp_path_factory.mktemp("evidence"))


def handling(repo: RecordsRepo, as_of: str) -> str:
    r = repo.saiken("report", "handling", "--as-of", as_of)
    assert r.returncode == 0, r.stderr
    return r.stdout


def open_points(report: str) -> str:
    return report.split("## 未対応の事項", 1)[1]


def test_start_of_year_asks_for_training_and_audit(repo: RecordsRepo) -> None:
    report = handling(repo, "2021-06-01")
    assert "| 保有する記録（事案） | 3 件 |" in report
    assert "甲 1 人、乙 2 人" in report
    assert "| データの受渡し（記録の追加・変更のコミット） | 1 回 |" in report
    todo = open_points(report)
    assert "特記事項18" in todo and "otsu-01, otsu-02, kou-01" in todo and "saiken ledger training" in todo
    assert "特記事項15・16・17" in todo and "年度末 2022-03-31 までに実施" in todo


def test_training_clears_the_training_point_and_refuses_unknown_handlers(repo: RecordsRepo) -> None:
    r = repo.saiken("ledger", "training", "--date", "2021-05-10", "--attendees", "otsu-01,nobody")
    assert r.returncode == 1 and "取扱者 ID「nobody」は policies/handlers.yaml にありません" in r.stderr
    assert not (repo.root / "ledger" / "trainings.yaml").exists()
    repo.saiken("ledger", "training", "--date", "2021-05-10", "--attendees", "otsu-01,otsu-02", check=True)
    todo = open_points(handling(repo, "2021-06-01"))
    assert "特記事項18" in todo and "kou-01" in todo and "otsu-02" not in todo
    repo.saiken("ledger", "training", "--date", "2021-05-20", "--attendees", "kou-01", check=True)
    assert "特記事項18" not in open_points(handling(repo, "2021-06-01"))


def test_cd_r_package_opens_with_the_passphrase_and_is_logged(repo: RecordsRepo, tmp_path: Path) -> None:
    secret = tmp_path / "pass"
    secret.write_text("架空の合言葉-1234\n")
    secret.chmod(0o600)
    out = tmp_path / "cdrom"
    r = repo.saiken("export", "medium", "--cases", f"{CASES[0]},{CASES[1]}", "--out", str(out), "--date", "2021-06-10",
                    "--storage", "乙事務所の金庫", env={"SAIKEN_PASSPHRASE_FILE": str(secret)})
    assert r.returncode == 0, r.stderr
    assert "M-2021-001" in r.stdout and "saiken ledger return --medium M-2021-001" in r.stdout
    package = out / "M-2021-001.yaml.age"
    assert oct(package.stat().st_mode & 0o777) == "0o600"
    data = package.read_bytes()
    assert data.startswith(b"-----BEGIN AGE ENCRYPTED FILE-----") and "一郎".encode() not in data
    bundle = yamlio.fast_load(crypto.decrypt_with_passphrase(data, "架空の合言葉-1234").decode())
    assert [rec["case_id"] for rec in bundle["records"]] == list(CASES[:2])
    assert bundle["records"][0]["parties"][0]["name"]["given"] == "一郎"
    media = yamlio.fast_load((repo.root / "ledger" / "media.yaml").read_text(encoding="utf-8"))["media"]
    assert media[0]["method"] == "CD-R" and media[0]["cases"] == list(CASES[:2]) and media[0]["encrypted"] is True
    assert media[0]["by"] == "otsu-01" and len(media[0]["sha256"]) == 64
    report = handling(repo, "2021-06-30")
    assert "| 媒体・書類の受渡し | 1 件 |" in report and "| 返還されていない媒体 | 1 件（M-2021-001） |" in report


def test_registered_mail_handover_and_return(repo: RecordsRepo) -> None:
    r = repo.saiken("ledger", "handover", "--method", "書留", "--medium", "M-2021-001", "--cases", CASES[2])
    assert r.returncode == 1 and "既に記録されています" in r.stderr
    r = repo.saiken("ledger", "handover", "--method", "FAX", "--cases", CASES[2])
    assert r.returncode == 2 and "FAX" in r.stderr
    repo.saiken("ledger", "handover", "--method", "書留", "--cases", CASES[2], "--date", "2021-07-01",
                "--not-encrypted", check=True)
    r = repo.saiken("ledger", "return", "--medium", "M-2021-002", "--date", "2021-06-01")
    assert r.returncode == 1 and "受渡し日より前" in r.stderr
    repo.saiken("ledger", "return", "--medium", "M-2021-002", "--date", "2021-07-15", check=True)
    r = repo.saiken("ledger", "return", "--medium", "M-2021-002")
    assert r.returncode == 1 and "返還済み" in r.stderr
    assert "| 返還されていない媒体 | 1 件（M-2021-001） |" in handling(repo, "2021-08-01")


def test_audit_clears_the_audit_point(repo: RecordsRepo) -> None:
    r = repo.saiken("ledger", "audit", "--date", "2021-11-10", "--by", "otsu-01", "--method", "立入り調査",
                    "--result", "適正")
    assert r.returncode == 1 and "「by」は甲の取扱者です（otsu-01 は乙）" in r.stderr
    repo.saiken("ledger", "audit", "--date", "2021-11-10", "--by", "kou-01", "--method", "立入り調査",
                "--result", "適正", check=True)
    report = handling(repo, "2021-11-30")
    assert "| 甲による確認・監査 | 1 回 |" in report and "特記事項15" not in open_points(report)


def test_incident_report_deadlines(repo: RecordsRepo) -> None:
    r = repo.saiken("incident", "new", "--discovered", "2021-09-01 10:30", "--summary", "架空様 宛ての誤送信",
                    "--cases", CASES[0])
    assert r.returncode == 1 and "個人情報を書けません" in r.stderr
    # a bare name or address of a record's party, which no pattern sees, is refused with the key
    for summary in ("架空一郎 宛ての督促状を誤送信", "架空町1-2-3 の住所へ誤配"):
        r = repo.saiken("incident", "new", "--discovered", "2021-09-01 10:30", "--summary", summary, "--cases", CASES[0])
        assert r.returncode == 1, r.stdout
        assert f"事案 {CASES[0]} の当事者の" in r.stderr and "何も書き込んでいません" in r.stderr
        assert "一郎" not in r.stderr and "架空町" not in r.stderr  # the message names the kind, not the text
        assert not (repo.root / "ledger" / "incidents.yaml").exists() and not (repo.root / "ledger" / "incidents").exists()
    r = repo.saiken("incident", "new", "--discovered", "2021-09-01 10:30", "--occurred", "2021-08-31",
                    "--summary", "CD-R 1 枚の一時的な所在不明", "--cases", CASES[0])
    assert r.returncode == 0, r.stderr
    assert "I-2021-001" in r.stdout and "2021-09-06" in r.stdout and "2021-10-01" in r.stdout
    written = (repo.root / "ledger" / "incidents" / "I-2021-001.md").read_text(encoding="utf-8")
    assert written.startswith("# 事故報告書") and CASES[0] in written and "令和3年8月31日" in written
    assert "特記事項19" not in open_points(handling(repo, "2021-09-05"))
    todo = open_points(handling(repo, "2021-10-05"))
    assert "事故 I-2021-001 の甲への速報（通知）が期限（2021-09-06）" in todo
    assert "書面による事故報告が期限（2021-10-01）を過ぎても" in todo
    report_md = repo.root / "ledger" / "incidents" / "I-2021-001.md"
    report_md.write_text(written.replace("## 再発防止策\n\n（記入してください。）", "## 再発防止策\n\n媒体の持出簿を二重確認する。"),
                         encoding="utf-8")
    repo.saiken("incident", "report", "I-2021-001", "--notified", "2021-09-01", "--report", "2021-09-20", check=True)
    assert "特記事項19" not in open_points(handling(repo, "2021-10-05"))
    written = (repo.root / "ledger" / "incidents" / "I-2021-001.md").read_text(encoding="utf-8")
    assert "令和3年9月20日" in written and "媒体の持出簿を二重確認する。" in written
    repo.saiken("report", "pdf", "ledger/incidents/I-2021-001.md", check=True)
    printed = pdf_text(repo.root / "ledger" / "incidents" / "I-2021-001.pdf")
    assert "事故報告書" in printed and CASES[0] in printed and "媒体の持出簿を二重確認する。" in printed
    assert "| 事故 | 1 件（I-2021-001） |" in handling(repo, "2022-03-31")


def test_end_of_year_all_done_then_the_contract_ends(repo: RecordsRepo) -> None:
    assert "- なし" in open_points(handling(repo, "2022-03-31"))
    set_contract_end(repo, "2022-03-31")
    todo = open_points(handling(repo, "2022-04-01"))
    assert "媒体 M-2021-001（CD-R）が契約終了日（2022-03-31）を過ぎても返還されていません" in todo
    assert "乙の取扱者が有効です: otsu-01, otsu-02" in todo
    assert "3 件の記録が乙の鍵でも開ける暗号化のまま" in todo
    assert "saiken erase --as 乙" in todo
    assert "特記事項18" not in todo  # the fiscal year after the end asks for nothing more
    r = repo.saiken("erase", "--as", "乙", "--as-of", "2022-04-01", "--yes")
    assert r.returncode == 1 and "返還されていない媒体があるため、消去できません: M-2021-001" in r.stderr
    repo.saiken("ledger", "return", "--medium", "M-2021-001", "--date", "2022-03-25", check=True)
    assert "M-2021-001" not in open_points(handling(repo, "2022-04-01"))


def test_handlers_report_and_reports_ledger(repo: RecordsRepo) -> None:
    r = repo.saiken("report", "handlers", "--as-of", "2021-04-05", check=True)
    assert "取扱責任者及び取扱者の指定報告" in r.stdout and "| otsu-02 | 乙 | 取扱者 |" in r.stdout
    assert "令和3年4月1日" in r.stdout and "kou-01" not in r.stdout
    out = repo.root / "out" / "report.md"
    repo.saiken("report", "handling", "--as-of", "2021-12-01", "--requested", "2021-11-25", "--out", str(out), check=True)
    assert out.read_text(encoding="utf-8").startswith("# 個人情報の取扱状況報告")
    repo.saiken("report", "handling", "--as-of", "2021-12-01", "--out", str(out.with_suffix(".pdf")), check=True)
    printed = pdf_text(out.with_suffix(".pdf"))
    assert "個人情報の取扱状況報告" in printed and "令和3年12月1日" in printed and "M-2021-001" in printed
    reports = yamlio.fast_load((repo.root / "ledger" / "reports.yaml").read_text(encoding="utf-8"))["reports"]
    assert reports == [{"requested": reports[0]["requested"], "reported": reports[0]["reported"], "by": "otsu-01"}]


def test_no_personal_data_anywhere_in_ledger(repo: RecordsRepo) -> None:
    text = ledger_text(repo.root)
    assert "M-2021-001" in text and "I-2021-001" in text
    for word in PERSONAL:
        assert word not in text, word
    names = [p.name for p in (repo.root / "ledger").rglob("*")]
    assert all(not any(w in n for w in PERSONAL) for n in names)
    assert all(oct(os.stat(p).st_mode)[-3:] in ("644", "600", "755", "700") for p in (repo.root / "ledger").rglob("*"))


def test_consent_of_kou_is_recorded(repo: RecordsRepo) -> None:
    r = repo.saiken("ledger", "consent", "--case", "c/../x", "--category", "犯罪", "--term", "5", "--by", "kou-01")
    assert r.returncode == 1 and "事案番号「c/../x」の形式が正しくありません" in r.stderr
    repo.saiken("ledger", "consent", "--case", CASES[1], "--category", "犯罪", "--term", "5", "--by", "kou-01",
                "--date", "2021-07-02", check=True)
    consents = yamlio.fast_load((repo.root / "ledger" / "consents.yaml").read_text(encoding="utf-8"))["consents"]
    assert consents == [{"id": "A-2021-001", "case_id": CASES[1], "category": "犯罪", "term": 5,
                         "date": consents[0]["date"], "by": "kou-01"}]
    assert str(consents[0]["date"]) == "2021-07-02"

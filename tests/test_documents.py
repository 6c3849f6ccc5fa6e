"""saiken doc – every document from an encrypted fictional record (架空の人物) through the real CLI,
read back with pypdf: the exact Japanese text, embedded fonts, the export ledger, and bad input
that writes nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pypdf
import pytest
import yaml

from conftest import ROOT, RecordsRepo
from saiken.casework.documents import naiyo_shomei
from saiken.core import crypto
from saiken.errors import SaikenError
from saiken.core.layout import manifest_rel, record_rel

DATE = "2021-06-01"
# the 合意書 being made on DATE, not yet signed: the letters of that day follow the loan
AGREEMENT = ("agreements:\n"
             "  - {date: 2021-06-01, total: 1138567, day: 27, amount: 10000, first_due: 2021-06-27,"
             " parties: [p1, p2], signed: false}\n")
SIGNED = AGREEMENT.replace("signed: false}", "signed: true}")
VISIT = ("  - {at: 2021-05-20 14:30, kind: 来所, by: otsu-01, party: p1, counterpart: 本人,"
         " identity_check: 運転免許証, note: 毎月1万円の分納を希望, acknowledged: true,"
         " promise: {amount: 10000, date: 2021-06-27}, next_action: 合意書を送付}\n"
         "  - {at: 2022-05-01 09:00, kind: 電話, by: otsu-01, party: p1, note: 期間外の記録}\n")
NAMES = ("架空", "一郎", "花子")


def add_document_policies(root: Path) -> None:
    """What `saiken doc` reads beside the contract: the templates, and the limitation and damages
    rules the amounts come from (a repository made by `saiken init` has them all)."""
    shutil.copytree(ROOT / "policies" / "templates", root / "policies" / "templates")
    for name in ("limitation.yaml", "damages.yaml"):
        shutil.copy(ROOT / "policies" / name, root / "policies" / name)


def case_text(base: str, *, agreement: bool = True, replace: tuple[str, str] | None = None) -> str:
    text = base.replace("history:\n", (AGREEMENT if agreement else "") + "history:\n") + VISIT
    if replace:
        assert replace[0] in text
        text = text.replace(*replace)
    return text


@pytest.fixture
def repo(records_repo: RecordsRepo, fictional_case_text: str) -> RecordsRepo:
    add_document_policies(records_repo.root)
    records_repo.saiken("case", "new", "--from", "-", input=case_text(fictional_case_text), check=True)
    return records_repo


def pdf_text(path: Path) -> str:
    """All pages' text with line breaks removed (a table cell or a paragraph may wrap anywhere)."""
    reader = pypdf.PdfReader(path)
    return "".join(page.extract_text().replace("\n", "") for page in reader.pages)


def in_table(cell_texts: tuple[str, ...], text: str) -> None:
    """Table cells: pypdf puts a space between some cells and not others, so compare without spaces."""
    squashed = text.replace(" ", "")
    for s in cell_texts:
        assert s.replace(" ", "") in squashed, s


def issue(repo: RecordsRepo, *args: str) -> Path:
    res = repo.saiken("doc", *args, "--date", DATE)
    assert res.returncode == 0, res.stderr
    assert "作成しました" in res.stdout
    path = Path(res.stdout.split("作成しました: ")[1].splitlines()[0])
    assert path.parent == repo.root / "out" and path.is_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not any(n in path.name for n in NAMES)
    return path


def ledger(repo: RecordsRepo) -> list[dict]:
    return yaml.safe_load((repo.root / "ledger" / "exports.yaml").read_text(encoding="utf-8"))["exports"]


def assert_logged(repo: RecordsRepo, path: Path, kind: str, cases: list[str]) -> None:
    entry = ledger(repo)[-1]
    assert entry["handler"] == "otsu-01"
    assert entry["kind"] == kind and entry["cases"] == cases and entry["file"] == path.name
    assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert entry["purpose"] and entry["at"]
    text = (repo.root / "ledger" / "exports.yaml").read_text(encoding="utf-8")
    assert not any(n in text for n in NAMES)


def embedded_fonts(path: Path) -> set[str]:
    names = set()
    for page in pypdf.PdfReader(path).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            for desc in font.get("/DescendantFonts") or [font]:
                fd = desc.get_object().get("/FontDescriptor")
                if fd is not None and "/FontFile2" in fd.get_object():
                    names.add(str(fd.get_object()["/FontName"]))
    return names


def test_dunning(repo: RecordsRepo) -> None:
    path = issue(repo, "督促状", "C-TEST0001")
    assert path.name == "C-TEST0001_dunning_2021-06-01.pdf"
    text = pdf_text(path)
    for s in ("督促状", "令和3年6月1日", "〒160-0000", "東京都新宿区架空町1-2-3", "架空　一郎　様",
              "平成24年3月15日付けの契約", "金1,080,000円", "月賦（全120回）", "金9,000円",
              "平成28年5月27日から令和3年5月27日までの61回分", "金549,000円", "金1,071,000円",
              "令和3年6月15日までに", "新宿区長代理人", "架空法律事務所（仮）",
              "下記の請求額合計金616,567円をお支払いください"):
        assert s in text, s
    in_table(("未納元金金549,000円", "遅延損害金金67,567円（令和3年6月1日現在）", "請求額合計金616,567円",
              "元金残高金1,071,000円"), text)
    assert {n.split("+")[-1] for n in embedded_fonts(path)} >= {"IPAexMincho", "IPAexGothic"}
    assert_logged(repo, path, "督促状", ["C-TEST0001"])


def test_english_alias_and_purpose(repo: RecordsRepo) -> None:
    path = issue(repo, "dunning", "C-TEST0001", "--purpose", "再送")
    assert "督促状" in pdf_text(path)
    assert ledger(repo)[-1]["purpose"] == "再送"
    second = issue(repo, "dunning", "C-TEST0001")
    assert second != path and path.exists()  # an earlier copy is never overwritten
    assert len(ledger(repo)) == 2


def test_demand(repo: RecordsRepo) -> None:
    text = pdf_text(issue(repo, "催告書", "C-TEST0001"))
    for s in ("催告書", "次のとおり催告します", "元金合計金549,000円", "本書到達後14日以内に",
              "元金として金549,000円及び令和3年6月1日現在の遅延損害金として金67,567円の合計金616,567円をお支払いください",
              "上記金616,567円について、支払督促の申立て"):
        assert s in text, s
    # without acceleration no legal step is threatened for installments not yet due
    assert "債権残額金1,071,000円について" not in text


def test_demand_naiyo_shomei_lines_fit_20_by_26(repo: RecordsRepo) -> None:
    path = issue(repo, "demand", "C-TEST0001", "--naiyo-shomei")
    reader = pypdf.PdfReader(path)
    assert len(reader.pages) == 2
    for page in reader.pages:
        lines = [ln for ln in page.extract_text().splitlines() if not re.fullmatch(r"\d+ / \d+", ln)]
        assert 0 < len(lines) <= 26
        assert all(naiyo_shomei.count(ln) <= 20 for ln in lines), lines
    text = pdf_text(path)
    for s in ("催告書", "元金合計金549,000円", "合計金616,567円", "令和3年6月1日", "架空　一郎　殿"):
        assert s in text, s
    assert_logged(repo, path, "催告書", ["C-TEST0001"])


def test_guarantor_demand_goes_to_the_only_guarantor(repo: RecordsRepo) -> None:
    text = pdf_text(issue(repo, "保証債務履行請求書", "C-TEST0001"))
    for s in ("保証債務履行請求書", "架空　花子　様", "架空　一郎氏（借受人）", "連帯保証人となっています",
              "連帯保証債務の履行として", "金549,000円", "令和3年6月15日までに"):
        assert s in text, s


def test_guarantor_demand_refuses_the_borrower(repo: RecordsRepo) -> None:
    res = repo.saiken("doc", "guarantor-demand", "C-TEST0001", "--to", "p1")
    assert res.returncode == 1 and "連帯保証人（または相続人）宛ての文書です" in res.stderr
    assert not (repo.root / "out").exists() or not list((repo.root / "out").glob("*.pdf"))


def test_agreement(repo: RecordsRepo) -> None:
    path = issue(repo, "合意書", "C-TEST0001")
    text = pdf_text(path)
    for s in ("債務承認及び分割弁済合意書", "新宿区長（以下「甲」という。）", "借受人架空　一郎（以下「乙」という。）",
              "連帯保証人架空　花子（以下「丙」という。）", "平成24年3月15日付け奨学資金貸付契約（貸付額金1,080,000円）",
              "令和3年6月1日現在、金1,138,567円（金壱百壱拾参萬八千五百六拾七円）の支払義務があることを認める",
              "その内訳は、元金として金1,071,000円、遅延損害金として金67,567円（令和3年6月1日までのもの）である",
              "114回に分割して", "第1回　令和3年6月27日限り金10,000円",
              "第2回から第113回まで　令和3年7月から令和12年10月まで毎月27日限り金10,000円ずつ",
              "第114回（最終回）　令和12年11月27日限り金8,567円",
              "2回以上怠ったときは、甲からの通知催告がなくても当然に期限の利益を失い", "年3パーセントの割合による遅延損害金",
              "丙は、第1条の債務を承認し", "住所、氏名、勤務先又は連絡先を変更したときは",
              "東京地方裁判所又は東京簡易裁判所", "本書3通を作成し、甲、乙及び丙が記名押印の上、各自1通を保有する",
              "平成7年4月2日生",
              "別紙　支払予定表"):
        assert s in text, s
    in_table(("第1回令和3年6月27日限り金10,000円", "第113回令和12年10月27日限り金10,000円",
              "第114回令和12年11月27日限り金8,567円"), text)
    assert "吉日" not in text
    assert {n.split("+")[-1] for n in embedded_fonts(path)} >= {"IPAexMincho", "IPAexGothic"}
    assert_logged(repo, path, "合意書", ["C-TEST0001"])


HISTORY = ("令和3年5月10日午前10時", "電話", "本人（架空　一郎）", "分納の相談あり",
           "令和3年5月20日午後2時30分", "来所", "運転免許証", "毎月1万円の分納を希望",
           "令和3年6月27日までに金10,000円を支払う", "合意書を送付", "架空 otsu-01")


def test_negotiation_report_one_case(repo: RecordsRepo) -> None:
    path = issue(repo, "交渉記録報告書", "C-TEST0001")
    text = pdf_text(path)
    for s in ("交渉記録報告書", "教育委員会事務局教育調整課　御中", "全期間", "事案番号　C-TEST0001"):
        assert s in text, s
    in_table(("日時方法相手方本人確認内容承認の有無約束次の対応担当", *HISTORY, "期間外の記録"), text)
    assert_logged(repo, path, "交渉記録報告書", ["C-TEST0001"])


def test_negotiation_report_all_cases_over_a_period(repo: RecordsRepo, fictional_case_text: str) -> None:
    second = case_text(fictional_case_text, agreement=False).replace("C-TEST0001", "C-TEST0002")
    repo.saiken("case", "new", "--from", "-", input=second, check=True)
    # a record encrypted to someone else: left out, and said so
    _, other = crypto.generate_identity()
    (repo.root / record_rel("C-TEST0003")).parent.mkdir(parents=True, exist_ok=True)
    (repo.root / record_rel("C-TEST0003")).write_bytes(
        crypto.encrypt(b"case_id: C-TEST0003\n", [crypto.RecipientKey.parse(other)]))
    res = repo.saiken("doc", "negotiation-report", "--from", "2021-04-01", "--to", "2022-03-31", "--date", DATE)
    assert res.returncode == 0, res.stderr
    assert "1 件の事案は含めていません" in res.stderr
    path = repo.root / "out" / "all_negotiation-report_2021-06-01.pdf"
    text = pdf_text(path)
    for s in ("令和3年4月1日から令和4年3月31日まで", "対象2件、記録4件", "事案番号　C-TEST0001",
              "事案番号　C-TEST0002"):
        assert s in text, s
    in_table(HISTORY, text)
    assert text.count("令和3年5月20日午後2時30分") == 2
    assert "期間外の記録" not in text
    assert_logged(repo, path, "交渉記録報告書", ["C-TEST0001", "C-TEST0002"])


def test_pages_render_to_non_blank_png(repo: RecordsRepo, tmp_path: Path) -> None:
    from PIL import Image
    for kind in ("dunning", "demand", "guarantor-demand", "agreement", "negotiation-report"):
        pdf = issue(repo, kind, "C-TEST0001")
        prefix = tmp_path / kind
        subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(prefix)],
                       check=True)
        image = Image.open(f"{prefix}.png").convert("L")
        histogram = image.histogram()
        dark = sum(histogram[:128]) / (image.width * image.height)
        assert 0.005 < dark < 0.3, (kind, dark)


BAD = [
    ("no address", ("    address: {postal_code: \"160-0000\", line: 東京都新宿区架空町1-2-3}\n    contact",
                    "    contact"), ("督促状", "C-TEST0001"), "住所（address.line）がないため"),
    ("宛所不明", ("    address: {postal_code: \"160-0000\", line: 東京都新宿区架空町1-2-3}\n    contact",
                 "    address: {unknown: true}\n    contact"), ("催告書", "C-TEST0001"), "宛所不明"),
    ("unknown party", None, ("督促状", "C-TEST0001", "--to", "p9"), "当事者「p9」はこの事案にいません"),
    ("guarantor without address", ("  - id: p2\n    role: guarantor\n    name: {family: 架空, given: 花子}\n"
                                   "    address: {postal_code: \"160-0000\", line: 東京都新宿区架空町1-2-3}\n",
                                   "  - id: p2\n    role: guarantor\n    name: {family: 架空, given: 花子}\n"
                                   "    address: {unknown: true}\n"), ("合意書", "C-TEST0001"), "宛所不明"),
]


@pytest.mark.parametrize("label,change,args,message", BAD, ids=[b[0] for b in BAD])
def test_bad_input_writes_nothing(records_repo: RecordsRepo, fictional_case_text: str, label: str,
                                  change: tuple[str, str] | None, args: tuple[str, ...], message: str) -> None:
    add_document_policies(records_repo.root)
    records_repo.saiken("case", "new", "--from", "-", input=case_text(fictional_case_text, replace=change), check=True)
    res = records_repo.saiken("doc", *args, "--date", DATE)
    assert res.returncode == 1
    assert message in res.stderr and "エラー:" in res.stderr and "Traceback" not in res.stderr
    assert not list(records_repo.root.glob("out/*.pdf"))
    assert not (records_repo.root / "ledger" / "exports.yaml").exists()


def test_agreement_without_an_agreement_entry(records_repo: RecordsRepo, fictional_case_text: str) -> None:
    add_document_policies(records_repo.root)
    records_repo.saiken("case", "new", "--from", "-", input=case_text(fictional_case_text, agreement=False), check=True)
    res = records_repo.saiken("doc", "agreement", "C-TEST0001")
    assert res.returncode == 1 and "合意（agreements）の記録がないため" in res.stderr
    assert "saiken case edit C-TEST0001" in res.stderr
    assert not list(records_repo.root.glob("out/*.pdf"))
    assert not (records_repo.root / "ledger" / "exports.yaml").exists()


def test_naiyo_shomei_refuses_a_line_it_cannot_fit(repo: RecordsRepo) -> None:
    template = repo.root / "policies" / "templates" / "demand-naiyo.txt"
    template.write_text(template.read_text(encoding="utf-8") + "書留番号ABCDEFGHIJKLMNOPQRSTUVWXYZ\n", encoding="utf-8")
    res = repo.saiken("doc", "催告書", "C-TEST0001", "--naiyo-shomei")
    assert res.returncode == 1
    assert "内容証明郵便の字数制限（1行20字・1枚26行）を超える行があります" in res.stderr
    assert re.search(r"\d枚目\d+行目: 26字（上限20字）「ABCDEFGHIJKLMNOPQRSTUVWXYZ」", res.stderr), res.stderr
    assert not list(repo.root.glob("out/*.pdf"))
    assert not (repo.root / "ledger" / "exports.yaml").exists()


def test_unregistered_identity_cannot_export(repo: RecordsRepo, tmp_path: Path) -> None:
    stranger = tmp_path / "stranger.key"
    secret, public = crypto.generate_identity()
    stranger.write_text(crypto.identity_file_text(secret, public, "test"))
    stranger.chmod(0o600)
    # the stranger also holds the handler's key file? No: only their own – the record cannot even be read
    res = repo.saiken("doc", "督促状", "C-TEST0001", env={"SAIKEN_IDENTITY": str(stranger)})
    assert res.returncode == 1 and "有効な取扱者として登録されていない" in res.stderr
    assert not (repo.root / "ledger" / "exports.yaml").exists()


@pytest.mark.parametrize("text,cells", [
    ("あいう", 3), ("、。", 2), ("「架空」", 3), ("（仮）", 2), ("金1,080,000円", 11), ("」", 1), ("　", 1),
])
def test_naiyo_shomei_counting(text: str, cells: int) -> None:
    assert naiyo_shomei.count(text) == cells


def test_naiyo_shomei_wrap_keeps_numbers_and_closing_marks() -> None:
    grid = naiyo_shomei.Layout.named("20x26")
    lines = naiyo_shomei.wrap("あ" * 17 + "金1,080,000円を支払え。", 20)
    assert lines == ["あ" * 17 + "金", "1,080,000円を支払え。"]
    lines = naiyo_shomei.wrap("あ" * 20 + "。次", 20)
    assert lines == ["あ" * 19, "あ。次"]
    naiyo_shomei.check(lines, grid)
    with pytest.raises(SaikenError, match="1枚目1行目: 21字"):
        naiyo_shomei.check(["あ" * 21], grid)
    pages = naiyo_shomei.layout("\n".join("行" for _ in range(27)), grid)
    assert [len(p) for p in pages] == [26, 1]


def test_guarantor_demand_to_an_heir(records_repo: RecordsRepo, fictional_case_text: str) -> None:
    add_document_policies(records_repo.root)
    heir = ("    address: {postal_code: \"160-0000\", line: 東京都新宿区架空町1-2-3}\n"
            "    deceased_on: 2020-01-10\n"
            "  - id: p3\n    role: heir\n    heir_of: p2\n    share: 1/2\n    name: {family: 髙架, given: 次郎}\n"
            "    address: {postal_code: \"169-0000\", line: 東京都新宿区架空二丁目3-4}\n"
            "  - id: p4\n    role: heir\n    heir_of: p2\n    share: 2分の1\n    name: {family: 架空, given: 四郎}\n"
            "    address: {postal_code: \"169-0000\", line: 東京都新宿区架空二丁目3-4}\n"
            "claim:\n")
    text = case_text(fictional_case_text).replace(
        "    address: {postal_code: \"160-0000\", line: 東京都新宿区架空町1-2-3}\nclaim:\n", heir)
    records_repo.saiken("case", "new", "--from", "-", input=text, check=True)
    res = records_repo.saiken("doc", "保証債務履行請求書", "C-TEST0001")
    assert res.returncode == 1 and "複数います（p3、p4）" in res.stderr   # the deceased guarantor is no addressee
    res = records_repo.saiken("doc", "保証債務履行請求書", "C-TEST0001", "--to", "p3", "--date", DATE)
    assert res.returncode == 0, res.stderr
    text = pdf_text(records_repo.root / "out" / "C-TEST0001_guarantor-demand_2021-06-01.pdf")
    for s in ("髙架　次郎　様", "東京都新宿区架空二丁目3-4", "連帯保証人であった亡架空　花子氏の相続人",
              "相続分（2分の1）の割合で承継しています"):
        assert s in text, s
    # the share's amounts (民法899条): half of 61 installments of 金9,000円 and half of the balance
    in_table(("相続分2分の1", "平成28年5月27日から令和3年5月27日までの61回分", "未納元金金274,500円",
              "承継した保証債務の元金残高金535,500円"), text)
    assert "金549,000円" not in text
    res = records_repo.saiken("doc", "保証債務履行請求書", "C-TEST0001", "--to", "p2", "--date", DATE)
    assert res.returncode == 1 and "p2 は死亡しています" in res.stderr and "--to p3" in res.stderr


def test_all_cases_report_with_no_readable_case(records_repo: RecordsRepo) -> None:
    add_document_policies(records_repo.root)
    res = records_repo.saiken("doc", "交渉記録報告書", "--from", "2021-04-01")
    assert res.returncode == 1 and "開ける事案がありません" in res.stderr
    assert not (records_repo.root / "ledger" / "exports.yaml").exists()


def test_without_mincho_falls_back_to_gothic(repo: RecordsRepo, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """A machine without fonts-ipaexfont-mincho still gets a PDF, in Gothic, with a warning."""
    from saiken.casework.documents import dunning, render
    from saiken.core.records import Store
    monkeypatch.setattr(render, "MINCHO_DIRS", (repo.root / "no-such-font-folder",))
    st = Store.open(repo.root)
    record = st.load("C-TEST0001", crypto.load_identities([repo.identity]))
    data = dunning.build(record, st.policy, "C-TEST0001", dt.date(2021, 6, 1), None)
    pdf = repo.root.parent / "gothic.pdf"
    pdf.write_bytes(render.compile_pdf(repo.root, "dunning.typ", data))
    assert "IPAex明朝（fonts-ipaexfont-mincho）がないため" in capsys.readouterr().err
    assert {n.split("+")[-1] for n in embedded_fonts(pdf)} == {"IPAexGothic"}
    assert "金549,000円" in pdf_text(pdf)


def test_purpose_with_a_name_is_refused(repo: RecordsRepo) -> None:
    res = repo.saiken("doc", "督促状", "C-TEST0001", "--purpose", "架空一郎さんへ送付")
    assert res.returncode == 1 and "当事者の氏名が含まれています" in res.stderr
    assert not list(repo.root.glob("out/*.pdf"))
    assert not (repo.root / "ledger" / "exports.yaml").exists()


def test_help_lists_the_kinds_in_order(repo: RecordsRepo) -> None:
    res = repo.saiken("doc", "--help")
    assert res.returncode == 0
    positions = [res.stdout.index(f"  {name} ") for name in ("督促状", "催告書", "保証債務履行請求書", "合意書", "交渉記録報告書")]
    assert positions == sorted(positions)
    assert "negotiation-report（交渉記録報告書）" in res.stdout


def test_a_character_the_font_lacks_is_refused(records_repo: RecordsRepo, fictional_case_text: str) -> None:
    """「𠮷」 is not in IPAex: the PDF would show a blank, so nothing is written."""
    add_document_policies(records_repo.root)
    text = case_text(fictional_case_text, replace=("given: 一郎,", "given: 𠮷郎,"))
    records_repo.saiken("case", "new", "--from", "-", input=text, check=True)
    res = records_repo.saiken("doc", "督促状", "C-TEST0001")
    assert res.returncode == 1 and "𠮷（U+20BB7）" in res.stderr and "通用字体" in res.stderr
    assert not list(records_repo.root.glob("out/*.pdf"))
    assert not (records_repo.root / "ledger" / "exports.yaml").exists()


def test_unwritable_output_folder_is_a_clear_error(repo: RecordsRepo) -> None:
    blocker = repo.root.parent / "not-a-folder"
    blocker.write_text("x")
    res = repo.saiken("doc", "督促状", "C-TEST0001", "--out", str(blocker / "sub"))
    assert res.returncode == 1 and "書き込めません" in res.stderr and "Traceback" not in res.stderr
    assert not (repo.root / "ledger" / "exports.yaml").exists()


def test_naiyo_shomei_text_extracts_exactly_as_laid_out(repo: RecordsRepo) -> None:
    """Every line of the PDF equals the line saiken laid out: no missing glyph, no stray space."""
    from saiken.casework.documents import demand
    from saiken.core.records import Store
    path = issue(repo, "催告書", "C-TEST0001", "--naiyo-shomei")
    st = Store.open(repo.root)
    record = st.load("C-TEST0001", crypto.load_identities([repo.identity]))
    expected = demand.naiyo(st.root, demand.build(record, st.policy, "C-TEST0001", dt.date(2021, 6, 1), None))
    for n, page in enumerate(pypdf.PdfReader(path).pages):
        lines = page.extract_text().splitlines()
        assert lines[-1] == f"{n + 1} / {len(expected['pages'])}"
        assert lines[:-1] == [ln for ln in expected["pages"][n] if ln], n
    assert expected["pages"][0][0] == "\u3000" * 8 + "催告書"
    assert "\u3000貴殿は、平成24年3月15日付けの契約" in expected["pages"][0]


# --- heirs of the borrower, and letters after the benefit of time was lost ------------------------

HEIRS = ("    birth_date: 1995-04-02\n    deceased_on: 2020-01-10\n", "claim:\n", (
    "  - {id: p3, role: heir, heir_of: p1, share: 2分の1, name: {family: 架空, given: 三郎},"
    " address: {postal_code: \"169-0000\", line: 東京都新宿区架空二丁目3-4}}\n"
    "  - {id: p4, role: heir, heir_of: p1, share: 1/2, name: {family: 架空, given: 四郎},"
    " address: {postal_code: \"169-0000\", line: 東京都新宿区架空三丁目5-6}}\n"))


def heirs_case(records_repo: RecordsRepo, fictional_case_text: str, *, limited: bool = False) -> None:
    add_document_policies(records_repo.root)
    text = case_text(fictional_case_text, agreement=False).replace("    birth_date: 1995-04-02\n", HEIRS[0])
    heirs = HEIRS[2].replace("share:", "limited_acceptance_on: 2020-03-01, share:") if limited else HEIRS[2]
    text = text.replace("claim:\n", heirs + "claim:\n", 1)
    text = text.replace("party: p1, counterpart: 本人,", "party: p3, counterpart: 相続人,")  # nothing to the dead
    records_repo.saiken("case", "new", "--from", "-", input=text.replace(", party: p1, note: 期間外の記録", ""),
                        check=True)


def test_minpo_896_no_letter_to_the_dead_borrower_and_the_fix_names_the_heirs(records_repo: RecordsRepo,
                                                                              fictional_case_text: str) -> None:
    heirs_case(records_repo, fictional_case_text)
    for kind in ("督促状", "催告書"):
        res = records_repo.saiken("doc", kind, "C-TEST0001", "--date", DATE)
        assert res.returncode == 1 and "p1 は死亡しています（2020-01-10）" in res.stderr
        assert "相続人（p3、p4）に宛ててください" in res.stderr and "--to p3" in res.stderr
    res = records_repo.saiken("doc", "保証債務履行請求書", "C-TEST0001", "--to", "p3", "--date", DATE)
    assert res.returncode == 1 and "借受人の相続人" in res.stderr and "saiken doc 督促状 C-TEST0001 --to p3" in res.stderr
    res = records_repo.saiken("doc", "督促状", "C-TEST0001", "--to", "p2", "--date", DATE)
    assert res.returncode == 1 and "saiken doc 保証債務履行請求書 C-TEST0001 --to p2" in res.stderr
    assert not list(records_repo.root.glob("out/*.pdf"))


def test_minpo_899_dunning_to_an_heir_uses_the_heir_wording_and_the_share(records_repo: RecordsRepo,
                                                                          fictional_case_text: str) -> None:
    heirs_case(records_repo, fictional_case_text)
    res = records_repo.saiken("doc", "督促状", "C-TEST0001", "--to", "p3", "--date", DATE)
    assert res.returncode == 0, res.stderr
    text = pdf_text(records_repo.root / "out" / "C-TEST0001_dunning_2021-06-01.pdf")
    for s in ("架空　三郎　様", "被相続人架空　一郎様が平成24年3月15日付けの契約に基づき新宿区から貸付けを受けた",
              "相続により、あなたが相続分2分の1の割合で承継されました"):
        assert s in text, s
    assert "あなたが平成24年3月15日付けの契約に基づき" not in text
    # the share: half of 61 overdue installments of 金9,000円, half of the balance
    in_table(("被相続人架空　一郎（借受人）", "相続分2分の1", "未納元金金274,500円", "承継した債務の元金残高金535,500円"), text)
    # and half of the damages on the whole debt (金67,567円 on 令和3年6月1日), split per installment
    damages = int(re.search(r"遅延損害金金([\d,]+)円（令和3年6月1日現在）", text.replace(" ", "")).group(1).replace(",", ""))
    assert abs(damages - 67567 / 2) <= 61
    assert "金549,000円" not in text and "金1,071,000円" not in text


def test_minpo_922_demand_to_heirs_with_limited_acceptance_says_so(records_repo: RecordsRepo,
                                                                    fictional_case_text: str) -> None:
    heirs_case(records_repo, fictional_case_text, limited=True)
    res = records_repo.saiken("doc", "催告書", "C-TEST0001", "--to", "p4", "--date", DATE)
    assert res.returncode == 0, res.stderr
    text = pdf_text(records_repo.root / "out" / "C-TEST0001_demand_2021-06-01.pdf")
    for s in ("あなたは、被相続人架空　一郎様が", "相続分2分の1の割合で承継されましたが",
              "令和2年3月1日に限定承認をされているため、相続によって得た財産の限度で",
              "元金として金274,500円及び令和3年6月1日現在の遅延損害金として金"):
        assert s in text, s
    total = re.search(r"の合計金([\d,]+)円をお支払いください", text).group(1)
    assert f"上記金{total}円について、支払督促の申立て" in text
    res = records_repo.saiken("doc", "催告書", "C-TEST0001", "--to", "p4", "--naiyo-shomei", "--date", DATE)
    assert res.returncode == 0, res.stderr
    naiyo = pdf_text(records_repo.root / "out" / "C-TEST0001_demand_2021-06-01-2.pdf")
    assert "被相続人架空　一郎" in naiyo and "金274,500円" in naiyo


ACCELERATING = AGREEMENT.replace("signed: false}", "signed: true, acceleration: {missed: 2}}")


@pytest.mark.parametrize("kind, words", [
    # the agreement's remainder (its total 金1,138,567円 holds the damages it acknowledged; nothing paid since),
    # and the deed's damages on its principal part from the day after the loss: the acknowledged 金67,567円 fill
    # 第1〜6回 and 金7,567円 of 第7回, so 第1・2回 bear none; 第7回 (金2,433円), 第8〜113回 (金10,000円) and 第114回
    # (金8,567円) bear 年3% for 13 days (2021-07-29 … 08-10): 2 + 106 × 10 + 9 = 金1,071円
    ("督促状", ("期限の利益の喪失（令和3年7月28日）により、残額の全部について弁済期が到来しています",
               "下記の請求額合計金1,139,638円をお支払いください", "期限の利益喪失令和3年7月28日（当然喪失）",
               "合意書の残額金1,138,567円", "遅延損害金金1,071円（令和3年8月10日現在）", "請求額合計金1,139,638円",
               "合意書令和3年6月1日付け（総額金1,138,567円、毎月27日限り金10,000円）")),
    ("催告書", ("期限の利益の喪失（令和3年7月28日、当然喪失）により弁済期が到来した残額の全部（合意書の残額金1,138,567円）",
               "合意書（令和3年6月1日）の残額として金1,138,567円及び令和3年8月10日現在の遅延損害金として金1,071円",
               "上記金1,139,638円について、支払督促の申立て")),
    ("保証債務履行請求書", ("借受人が期限の利益を喪失し（令和3年7月28日）、残額の全部について弁済期が到来している",
                          "合意書の残額金1,138,567円", "請求額合計金1,139,638円")),
])
def test_after_acceleration_letters_list_the_whole_balance(records_repo: RecordsRepo, fictional_case_text: str,
                                                           kind: str, words: tuple[str, ...]) -> None:
    add_document_policies(records_repo.root)
    text = case_text(fictional_case_text, agreement=False).replace("history:\n", ACCELERATING + "history:\n")
    records_repo.saiken("case", "new", "--from", "-", input=text, check=True)
    res = records_repo.saiken("doc", kind, "C-TEST0001", "--date", "2021-08-10")
    assert res.returncode == 0, res.stderr
    path = Path(res.stdout.split("作成しました: ")[1].splitlines()[0])
    got = pdf_text(path)
    in_table(words, got)
    assert "未納の割賦金" not in got and "61回分" not in got
    assert "後の遅延損害金は、書面に含めていません" not in res.stderr  # no longer left to the lawyer
    # the whole balance is the demand: no second 残高 row repeats it
    assert got.replace(" ", "").count("合意書の残額金1,138,567円") == (2 if kind == "催告書" else 1), got  # 催告書: text + table


def test_before_acceleration_a_demand_threatens_only_what_is_due(records_repo: RecordsRepo,
                                                                 fictional_case_text: str) -> None:
    add_document_policies(records_repo.root)
    text = case_text(fictional_case_text, agreement=False).replace("history:\n", ACCELERATING + "history:\n")
    records_repo.saiken("case", "new", "--from", "-", input=text, check=True)
    # 2021-07-27: the second miss is not over until the day ends – under the signed 合意書 only its 第1回
    # (due 2021-06-27) is overdue; it is acknowledged damages, which bear none (民法405条)
    res = records_repo.saiken("doc", "催告書", "C-TEST0001", "--date", "2021-07-27", "--naiyo-shomei")
    assert res.returncode == 0, res.stderr
    got = pdf_text(Path(res.stdout.split("作成しました: ")[1].splitlines()[0])).replace(" ", "")
    assert "令和3年6月1日付けの合意書に基づく分割金のうち、支払期日が令和3年6月27日の1回分（合計金10,000円）" in got
    assert "分割金として金10,000円及び令和3年7月27日現在の遅延損害金として金0円の合計金10,000円" in got
    assert "上記金10,000円について、支払督促" in got
    assert "558,000" not in got and "1,071,000" not in got and "割賦金" not in got


def test_the_deed_prints_the_acceleration_clause_the_engine_applies(records_repo: RecordsRepo,
                                                                     fictional_case_text: str) -> None:
    add_document_policies(records_repo.root)
    clause = AGREEMENT.replace("signed: false}", "signed: true, acceleration: {missed: 3, consecutive: true}}")
    text = case_text(fictional_case_text, agreement=False).replace("history:\n", clause + "history:\n")
    records_repo.saiken("case", "new", "--from", "-", input=text, check=True)
    res = records_repo.saiken("doc", "合意書", "C-TEST0001", "--date", DATE)
    assert res.returncode == 0 and "警告" not in res.stderr, res.stderr
    got = pdf_text(Path(res.stdout.split("作成しました: ")[1].splitlines()[0]))
    assert "支払を引き続き3回以上怠ったときは、甲からの通知催告がなくても当然に期限の利益を失い" in got


def test_a_deed_without_the_clause_in_the_record_warns(repo: RecordsRepo) -> None:
    res = repo.saiken("doc", "合意書", "C-TEST0001", "--date", DATE)
    assert res.returncode == 0
    assert "期限の利益喪失の条項（agreements の acceleration）が記録にありません" in res.stderr
    assert "acceleration: {missed: 2}" in res.stderr


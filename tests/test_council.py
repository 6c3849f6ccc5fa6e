"""saiken council export: every field of the seed's council report, word for word, in md, docx and pdf."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

import docx
import pypdf
import pytest

from conftest import ROOT, SEED_FILE, VENV_BIN

SEED = SEED_FILE
ANNEX_MARK = "特記事項"


def squash(text: str) -> str:
    """Whitespace-normalised text: the only liberty the exports may take with the seed's words."""
    return re.sub(r"\s+", "", text)


def seed_pieces() -> tuple[list[str], list[str]]:
    """(the report's pieces, the special terms annex's lines) of the seed, HTML tags taken out."""
    lines = SEED.read_text(encoding="utf-8").splitlines()
    cut = lines.index(ANNEX_MARK)
    report: list[str] = []
    for line in lines[:cut]:
        for piece in re.split(r"<[^>]+>|\t", line):
            piece = piece.strip()
            if piece and not set(piece) <= {"-"}:
                report.append(piece)
    annex = [re.sub(r"^\s*-\s+", "", line).strip() for line in lines[cut + 1:] if line.strip()]
    return report, annex


def run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(VENV_BIN / "saiken"), *args], cwd=root, capture_output=True, text=True,
                          timeout=120, env={"PATH": f"{VENV_BIN}:/usr/bin:/bin", "LANG": "C.UTF-8",
                                            "HOME": str(root)})


def make_repo(tmp: Path, *, terms: bool = True) -> Path:
    root = tmp / "repo"
    shutil.copytree(ROOT / "policies", root / "policies")
    if not terms:
        (root / "policies" / "special-terms.yaml").unlink(missing_ok=True)
    return root


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = make_repo(tmp_path_factory.mktemp("council"))
    out = {}
    for fmt in ("md", "docx", "pdf"):
        proc = run(root, "council", "export", "--format", fmt, "--out", "out")
        assert proc.returncode == 0, proc.stderr
        out[fmt] = root / "out" / f"council-report-2021.{fmt}"
        assert f"審議会報告を書き出しました: {out[fmt]}" in proc.stdout
    return out


def md_text(path: Path) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "\n", path.read_text(encoding="utf-8")))


def docx_text(path: Path) -> str:
    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(str(path)).pages)


def assert_seed_in(text: str) -> None:
    report, annex = seed_pieces()
    flat = squash(text)
    missing = [p for p in report if squash(p) not in flat]
    assert not missing, f"missing from the export: {missing}"
    if (ROOT / "policies" / "special-terms.yaml").is_file():
        missing = [line for line in annex if squash(line) not in flat]
        assert not missing, f"special terms missing from the export: {missing}"
    else:
        assert "policies/special-terms.yaml がないため、特記事項を載せられません" in text


def test_seed_pieces_cover_every_field() -> None:
    report, annex = seed_pieces()
    for field in ("件 名", "条例の根拠", "事業の概要", "事業名", "担当課", "目的", "対象者", "事業内容", "保有課(担当課)",
                  "登録業務の名称", "委託先", "処理させる情報項目の記録媒体", "委託理由", "委託の内容",
                  "委託の開始時期及び期限", "委託にあたり区が行う情報保護対策", "受託事業者に行わせる情報保護対策"):
        assert field in report
    assert "（1）督促業務 （2）示談折衝業務 （3）合意書の作成及び郵送業務 （4）交渉記録報告書作成業務" in report
    assert len(annex) > 21


@pytest.mark.parametrize("fmt,reader", [("md", md_text), ("docx", docx_text), ("pdf", pdf_text)])
def test_export_has_every_seed_field_verbatim(exported: dict[str, Path], fmt: str, reader) -> None:  # type: ignore[no-untyped-def]
    assert_seed_in(reader(exported[fmt]))


def test_docx_has_real_tables(exported: dict[str, Path]) -> None:
    document = docx.Document(str(exported["docx"]))
    assert len(document.tables) == 3
    labels = [row.cells[0].text for row in document.tables[2].rows]
    assert labels[0] == "保有課(担当課)" and labels[-1] == "受託事業者に行わせる情報保護対策" and len(labels) == 10
    assert "【システム上の対策】" in document.tables[2].rows[-1].cells[1].text


def test_pdf_embeds_the_japanese_font(exported: dict[str, Path]) -> None:
    reader = pypdf.PdfReader(str(exported["pdf"]))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    descriptors = [f.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
                   for f in fonts.values()]
    assert any("IPAexGothic" in str(d["/FontName"]) and "/FontFile2" in d for d in descriptors)


def test_later_year_cites_the_law_in_force(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    proc = run(root, "council", "export", "--format", "md", "--fy", "2024", "--out", "out")
    assert proc.returncode == 0, proc.stderr
    text = (root / "out" / "council-report-2024.md").read_text(encoding="utf-8")
    assert "個人情報の保護に関する法律第66条" in text and "根拠法令" in text
    assert "◇第14条第1項（業務委託）" not in text and "条例の根拠" not in text
    assert "令和6年4月1日から令和7年3月31日まで（次年度以降も、同様の業務委託を行う。）" in text


def test_year_without_a_legal_basis_is_refused(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    proc = run(root, "council", "export", "--fy", "2019", "--out", "out")
    assert proc.returncode == 1
    assert "令和元年度（2019年度）に当てはまる根拠（legal_basis）がありません" in proc.stderr
    assert "Traceback" not in proc.stderr and not (root / "out").exists()


def test_missing_field_names_the_file(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    path = root / "policies" / "council-report.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("  media: 紙及び", "  medium: 紙及び"), encoding="utf-8")
    proc = run(root, "council", "export", "--out", "out")
    assert proc.returncode == 1
    assert "policies/council-report.yaml: entrustment: 「media」がありません" in proc.stderr


def test_annex_comes_from_special_terms(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    (root / "policies" / "special-terms.yaml").write_text(
        "terms:\n"
        "  - {number: 15, heading: 監査等, text: 甲は、架空の確認をする。}\n"
        "  - {number: 16, heading: 監査等, text: 前項による確認は、年度当たり1回以上行うものとする。}\n"
        "  - number: 5\n    heading: 収集禁止事項\n    text: 次に掲げる事項\n"
        "    items: [{number: 1, text: 思想、信条及び宗教に関する事項}]\n", encoding="utf-8")
    proc = run(root, "council", "export", "--out", "out")
    assert proc.returncode == 0, proc.stderr
    text = (root / "out" / "council-report-2021.md").read_text(encoding="utf-8")
    annex = text.split("## 特記事項", 1)[1]
    assert annex.count("(監査等)") == 1
    assert "16 前項による確認は、年度当たり1回以上行うものとする。" in annex
    assert "(1) 思想、信条及び宗教に関する事項" in annex


def test_results_section_suppresses_small_counts(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    (root / "ledger").mkdir()
    (root / "ledger" / "aggregates.yaml").write_text(
        "fiscal_years:\n"
        "  - {fiscal_year: 2021, cases: 4, assessed: 3600000, collected: 123457, written_off: 0}\n"
        "  - {fiscal_year: 2022, cases: 12, assessed: 9000000, collected: 900000, written_off: 0}\n",
        encoding="utf-8")
    proc = run(root, "council", "export", "--results", "--out", "out")
    assert proc.returncode == 0, proc.stderr
    text = (root / "out" / "council-report-2021.md").read_text(encoding="utf-8")
    assert "123,457" not in text and "3,600,000" not in text
    assert "5件未満" in text and "9,000,000円" in text and "10.0%" in text


@pytest.mark.timeout(240)
def test_docx_converts_with_libreoffice(exported: dict[str, Path], tmp_path: Path) -> None:
    proc = subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/profile",
                           "--convert-to", "pdf", "--outdir", str(tmp_path), str(exported["docx"])],
                          capture_output=True, text=True, timeout=200)
    pdf = tmp_path / "council-report-2021.pdf"
    assert pdf.is_file(), proc.stderr
    assert_seed_in(pdf_text(pdf))


def test_measures_agree_with_special_terms(tmp_path: Path) -> None:
    from saiken.publishing import council

    root = make_repo(tmp_path)
    data = council.load(root)
    items = [m for side in data["measures"].values() for group in side for m in group["items"]]
    assert len(items) == 13
    if (ROOT / "policies" / "special-terms.yaml").is_file():
        assert council.measure_mismatches(ROOT) == []
    lines = ["measures:"] + [f"  - {{id: {m['id']}, text: \"{m['text']}\"}}" for m in items]
    (root / "policies" / "special-terms.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert council.measure_mismatches(root) == []
    path = root / "policies" / "special-terms.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("ログ管理を徹底させる", "ログを残させる"), encoding="utf-8")
    assert council.measure_mismatches(root) == ["contractor-system-5"]

"""Images and PDFs carry nothing but what they show (terms 2, 7: default deny).

A photo's EXIF (where it was taken, who owns the phone), a PNG text chunk, a JPEG or GIF comment,
bytes after the end of a picture, a PDF's attachment, an appended revision or an object no page
uses: each could take personal data past a check that reads only text. Every image here is drawn
by Pillow and every PDF by saiken's own Typst template or by pypdf; the people are fictional (架空).
"""

from __future__ import annotations

import io
from pathlib import Path

import pypdf
import pytest
from PIL import Image, PngImagePlugin
from test_checks import FAMILY, GIVEN, check_all, lines, new_case

from conftest import RecordsRepo
from saiken.checks import media_files

SAIKEN_ROOT = Path(__file__).resolve().parents[1]  # its policies/templates render the PDFs


def picture(fmt: str, **save: object) -> bytes:
    out = io.BytesIO()
    img = Image.new("RGB", (8, 8), (200, 30, 30))
    (img.convert("P") if fmt == "GIF" else img).save(out, format=fmt, **save)
    return out.getvalue()


def exif_with_place() -> bytes:
    exif = Image.Exif()
    exif[0x013B] = "架空 撮影者"  # Artist
    exif[0x010E] = "架空町1-2-3 の玄関"  # ImageDescription
    return exif.tobytes()


CLEAN = {
    "png": picture("PNG"),
    "jpeg": picture("JPEG"),
    "progressive jpeg": picture("JPEG", progressive=True, quality=90),
    "gif": picture("GIF"),
    "animated gif": picture("GIF", save_all=True, loop=0,
                            append_images=[Image.new("P", (8, 8), 3)]),
    "webp": picture("WEBP"),
}


@pytest.mark.parametrize("name", sorted(CLEAN))
def test_a_plain_picture_passes(name: str) -> None:
    assert media_files.problem("image", CLEAN[name]) is None


def _png_text() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_itxt("Comment", "架空 太郎 東京都新宿区架空町1-2-3")
    return picture("PNG", pnginfo=info)


CARRIERS = {
    "png text chunk": (_png_text(), "iTXt"),
    "png after IEND": (CLEAN["png"] + b"case_id: C-AAAA0001\n", "終わりの後ろ"),
    "jpeg exif": (picture("JPEG", exif=exif_with_place()), "EXIF"),
    "jpeg comment": (picture("JPEG", comment="架空 太郎"), "コメント"),
    "jpeg after EOI": (CLEAN["jpeg"] + b"name: x", "終わりの後ろ"),
    "gif comment": (picture("GIF", comment="架空 太郎"), "コメント"),
    "gif after trailer": (CLEAN["gif"] + b"x", "終わりの後ろ"),
    "webp exif": (picture("WEBP", exif=exif_with_place()), "EXIF"),
    "webp after its end": (CLEAN["webp"] + b"xx", "終わりの後ろ"),
}


@pytest.mark.parametrize("name", sorted(CARRIERS))
def test_a_picture_carrying_more_than_itself_is_refused(name: str) -> None:
    data, why = CARRIERS[name]
    found = media_files.problem("image", data)
    assert found is not None and why in found, found


def test_a_damaged_picture_is_refused_not_crashed() -> None:
    for data in (CLEAN["png"][:40], CLEAN["jpeg"][:30], CLEAN["gif"][:20], CLEAN["webp"][:20], b"GIF89a"):
        assert media_files.problem("image", data) is not None


# --- PDF ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    from saiken.ledger import reports_pdf

    out = tmp_path_factory.mktemp("pdf") / "erasure-2027-04-01.pdf"
    reports_pdf.write_pdf(SAIKEN_ROOT, "# 個人情報消去証明書\n\n- 事案 C-ABCD2345 の記録を消去しました（架空）\n", out)
    return out.read_bytes()


def test_a_certificate_saiken_renders_passes_and_its_text_is_read(certificate: bytes) -> None:
    assert media_files.problem("pdf", certificate) is None
    assert "C-ABCD2345" in media_files.pdf_text(certificate)


def _rewritten(certificate: bytes, change) -> bytes:  # type: ignore[no-untyped-def]
    writer = pypdf.PdfWriter(clone_from=io.BytesIO(certificate))
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_pdf_with_an_attachment_is_refused(certificate: bytes) -> None:
    data = _rewritten(certificate, lambda w: w.add_attachment("case.yaml", b"case_id: C-AAAA0001\n"))
    assert "添付" in (media_files.problem("pdf", data) or "")


def test_a_pdf_with_a_revision_appended_is_refused(certificate: bytes) -> None:
    appended = io.BytesIO()
    writer = pypdf.PdfWriter(io.BytesIO(certificate), incremental=True)
    writer.add_metadata({"/Subject": "架空"})
    writer.write(appended)
    assert "追記" in (media_files.problem("pdf", appended.getvalue()) or "")
    assert "%%EOF の後ろ" in (media_files.problem("pdf", certificate + b"\nname: x\n") or "")


def test_a_pdf_with_an_object_no_page_uses_is_refused(certificate: bytes) -> None:
    from pypdf.generic import DecodedStreamObject

    def hide(w: pypdf.PdfWriter) -> None:
        stream = DecodedStreamObject()
        stream.set_data("case_id: C-AAAA0001\nname: 架空 太郎\n".encode())
        w._add_object(stream)  # in the file, used by nothing

    data = _rewritten(certificate, hide)
    assert "使われないオブジェクト" in (media_files.problem("pdf", data) or ""), media_files.problem("pdf", data)


def test_a_pdf_that_is_not_one_is_refused(certificate: bytes) -> None:
    for data in (b"%PDF-1.7\n", certificate[: len(certificate) // 2] + b"%%EOF", b"%PDF-" + b"\0" * 50):
        assert media_files.problem("pdf", data) is not None


# --- through the checks -----------------------------------------------------------------------

def test_the_check_refuses_a_photo_with_exif_and_reads_a_certificates_text(records_repo: RecordsRepo,
                                                                         certificate: bytes) -> None:
    new_case(records_repo, "C-MEDIA001")
    img = records_repo.root / "docs" / "img"
    img.mkdir(parents=True)
    (img / "clean.png").write_bytes(CLEAN["png"])
    (img / "photo.jpg").write_bytes(picture("JPEG", exif=exif_with_place()))
    r = check_all(records_repo)
    found = lines(r.stdout, "paths")
    assert r.returncode == 1 and len(found) == 1, r.stdout
    assert "docs/img/photo.jpg" in found[0] and "EXIF" in found[0] and "exiftool -all=" in found[0]

    (img / "photo.jpg").unlink()
    from saiken.ledger import reports_pdf

    cert = records_repo.root / "ledger" / "certificates" / "erasure-2027-04-01.pdf"
    reports_pdf.write_pdf(SAIKEN_ROOT, f"# 個人情報消去証明書\n\n- {FAMILY}{GIVEN}（架空）\n", cert)
    cert.with_suffix(".md").write_text("# 個人情報消去証明書\n", encoding="utf-8")
    r = check_all(records_repo)
    assert r.returncode == 1, r.stdout
    assert any("erasure-2027-04-01.pdf" in x and "氏名が記録の外" in x for x in lines(r.stdout, "pii_outside")), r.stdout
    reports_pdf.write_pdf(SAIKEN_ROOT, "# 個人情報消去証明書\n\n- 事案 C-MEDIA001\n", cert)
    r = check_all(records_repo)
    assert r.returncode == 0, r.stdout

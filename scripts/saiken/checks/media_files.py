"""What an image or a PDF in the repository may carry besides what it shows (terms 2, 7: default deny).

policies/paths.yaml allows images (docs/img/) and the erasure certificates' PDFs. Their pixels and
glyphs are not read, but a file carries more than that: a phone photo's EXIF holds where it was
taken (a debtor's house) and the owner's name, PNG text chunks and JPEG comments hold any text,
bytes after the end of an image or a PDF hold anything at all, and a PDF can hold attachments,
form values and objects no page uses. So a file of these kinds is walked by its own structure and
refused unless every part of it is one the format needs to show the picture or the pages:

    PNG   the chunks that draw (IHDR PLTE IDAT IEND, colour and size chunks, APNG frames); no
          tEXt/zTXt/iTXt/eXIf or unknown chunk, every CRC right, nothing after IEND
    JPEG  JFIF (APP0), the ICC profile (APP2), Adobe (APP14), tables, frames and scans; no EXIF or
          XMP (APP1), IPTC (APP13), other APPn or comment, nothing after EOI
    GIF   images, colour tables, graphics control and the loop extension; no comment, plain text or
          other application extension, nothing after the trailer
    WebP  VP8/VP8L/VP8X, alpha, animation and the ICC profile; no EXIF or XMP chunk, sizes exact
    PDF   one revision (one xref, nothing after %%EOF), every object used by the document, not
          encrypted; no attachment, form, script or image; its text, document information and XMP
          metadata are returned to be searched for personal data like any text file

`problem(kind, data)` is None for a file that passes, else the reason (Japanese) it is refused.
"""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any

_PNG = b"\x89PNG\r\n\x1a\n"
_PNG_DRAWING = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"cHRM", b"gAMA", b"iCCP", b"sBIT", b"sRGB",
                b"bKGD", b"hIST", b"pHYs", b"sPLT", b"acTL", b"fcTL", b"fdAT", b"cICP", b"mDCv", b"cLLi"}
_WEBP_DRAWING = {b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ANIM", b"ANMF", b"ICCP"}
_GIF_LOOPS = {b"NETSCAPE2.0", b"ANIMEXTS1.0"}


class Refused(Exception):
    """The file may not stand; the message says why (Japanese)."""


def problem(kind: str, data: bytes) -> str | None:
    """Why `data` may not stand as `kind` ("image" or "pdf"), or None."""
    try:
        if kind == "image":
            if data.startswith(_PNG):
                _png(data)
            elif data.startswith(b"\xff\xd8\xff"):
                _jpeg(data)
            elif data[:6] in (b"GIF87a", b"GIF89a"):
                _gif(data)
            elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
                _webp(data)
            else:
                return "画像（PNG・JPEG・GIF・WebP）ではありません"
        elif kind == "pdf":
            pdf_text(data)
    except Refused as exc:
        return str(exc)
    except (IndexError, struct.error, ValueError, zlib.error):
        return "画像として読めません（途中で切れているか、形式が壊れています）"
    return None


# --- images -------------------------------------------------------------------------------

_NO_TEXT = ("画像に表示されない情報（{what}）が入っています。撮影場所・撮影者・コメントなど個人情報を運べるため"
            "受け付けません。情報を除いて保存し直してください（例 `mogrify -strip ファイル`、`exiftool -all= ファイル`）")
_AFTER_END = "画像の終わりの後ろにデータが続いています。表示されない中身を運べるため受け付けません。画像として保存し直してください"


def _png(data: bytes) -> None:
    at, first = len(_PNG), True
    while True:
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        body = data[at + 8:at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length:at + 12 + length])
        if len(body) != length or zlib.crc32(kind + body) != crc:
            raise Refused("PNG の形式が壊れています（チャンクの長さか CRC が合いません）")
        if first and kind != b"IHDR":
            raise Refused("PNG の形式が壊れています（IHDR で始まっていません）")
        first = False
        if kind not in _PNG_DRAWING:
            raise Refused(_NO_TEXT.format(what=f"PNG の {kind.decode('latin-1')!r} チャンク"))
        at += 12 + length
        if kind == b"IEND":
            if data[at:]:
                raise Refused(_AFTER_END)
            return


def _jpeg(data: bytes) -> None:
    at = 2
    while True:
        if data[at] != 0xFF:
            raise Refused("JPEG の形式が壊れています")
        while data[at] == 0xFF:  # fill bytes
            at += 1
        marker = data[at]
        at += 1
        if marker == 0xD9:  # EOI
            if data[at:]:
                raise Refused(_AFTER_END)
            return
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            continue
        (length,) = struct.unpack(">H", data[at:at + 2])
        segment = data[at + 2:at + length]
        if len(segment) != length - 2:
            raise ValueError
        if marker == 0xE0 and not segment.startswith((b"JFIF\0", b"JFXX\0")):
            raise Refused(_NO_TEXT.format(what="JPEG の APP0"))
        if marker == 0xE2 and not segment.startswith(b"ICC_PROFILE\0"):
            raise Refused(_NO_TEXT.format(what="JPEG の APP2"))
        if marker == 0xEE and not segment.startswith(b"Adobe"):
            raise Refused(_NO_TEXT.format(what="JPEG の APP14"))
        if 0xE1 <= marker <= 0xEF and marker not in (0xE2, 0xEE):
            what = {0xE1: "EXIF・XMP（APP1）", 0xED: "IPTC（APP13）"}.get(marker, f"JPEG の APP{marker - 0xE0}")
            raise Refused(_NO_TEXT.format(what=what))
        if marker == 0xFE:
            raise Refused(_NO_TEXT.format(what="JPEG のコメント"))
        at += length
        if marker == 0xDA:  # a scan: entropy-coded data up to the next marker that is not a restart
            while True:
                at = data.index(b"\xff", at)
                nxt = data[at + 1]
                if nxt == 0x00 or 0xD0 <= nxt <= 0xD7 or nxt == 0xFF:
                    at += 1 if nxt == 0xFF else 2
                    continue
                break


def _gif(data: bytes) -> None:
    flags = data[10]
    at = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    while True:
        block = data[at]
        if block == 0x3B:  # trailer
            if data[at + 1:]:
                raise Refused(_AFTER_END)
            return
        if block == 0x2C:  # an image: descriptor, local colour table, LZW code size, data
            local = data[at + 9]
            at += 10 + (3 << ((local & 7) + 1) if local & 0x80 else 0) + 1
            at = _sub_blocks(data, at)
        elif block == 0x21:
            label = data[at + 1]
            if label == 0xF9:
                at = _sub_blocks(data, at + 2)
            elif label == 0xFF and data[at + 3:at + 14] in _GIF_LOOPS:
                at = _sub_blocks(data, at + 2)
            else:
                what = {0xFE: "GIF のコメント", 0x01: "GIF の文字（Plain Text）", 0xFF: "GIF のアプリケーション拡張"}
                raise Refused(_NO_TEXT.format(what=what.get(label, "GIF の拡張ブロック")))
        else:
            raise Refused("GIF の形式が壊れています")


def _sub_blocks(data: bytes, at: int) -> int:
    while True:
        size = data[at]
        if at + 1 + size > len(data):
            raise ValueError
        at += 1 + size
        if size == 0:
            return at


def _webp(data: bytes) -> None:
    (size,) = struct.unpack("<I", data[4:8])
    if size + 8 != len(data):
        raise Refused(_AFTER_END if size + 8 < len(data) else "WebP の形式が壊れています（途中で切れています）")
    at = 12
    while at < len(data):
        kind, length = data[at:at + 4], struct.unpack("<I", data[at + 4:at + 8])[0]
        if kind not in _WEBP_DRAWING:
            what = {b"EXIF": "EXIF", b"XMP ": "XMP"}.get(kind, f"WebP の {kind.decode('latin-1')!r} チャンク")
            raise Refused(_NO_TEXT.format(what=what))
        at += 8 + length + (length & 1)
        if at > len(data):
            raise ValueError


# --- PDF --------------------------------------------------------------------------------------

_PDF_REFUSED = {"/EmbeddedFiles": "添付ファイル", "/JavaScript": "スクリプト", "/AcroForm": "入力フォーム",
                "/FileAttachment": "添付ファイル", "/Launch": "外部プログラムの起動", "/RichMedia": "動画・音声",
                "/Sound": "音声", "/Movie": "動画", "/OCProperties": "隠せる層（オプションコンテンツ）"}


def pdf_text(data: bytes) -> str:
    """The PDF's text (every page), document information and XMP metadata, to be searched for
    personal data like a text file; raises Refused when the PDF may not stand (module docstring)."""
    import pypdf
    from pypdf.errors import PdfReadError

    if not data.startswith(b"%PDF-"):
        raise Refused("PDF ではありません")
    end = data.rstrip().endswith(b"%%EOF")
    if not end or data.count(b"startxref") != 1 or data.count(b"%%EOF") != 1:
        raise Refused("PDF に追記（増分更新）があるか、%%EOF の後ろにデータが続いています。表示されない中身を運べるため"
                       "受け付けません。saiken が作った PDF だけを置いてください（`saiken report pdf ファイル.md`）")
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=True)
        if reader.is_encrypted:
            raise Refused("暗号化された PDF です。中身を確かめられないため受け付けません")
        used = _reachable(reader)
        declared = {(num, gen) for gen, nums in reader.xref.items() for num in nums}
        declared |= {(num, 0) for num in reader.xref_objStm}
        unused = [key for key in declared - used if not _plumbing(reader, key)]
        if unused:
            raise Refused(f"どのページからも使われないオブジェクトが {len(unused)} 個あります。表示されない"
                           "中身を運べるため受け付けません。saiken が作った PDF だけを置いてください")
        texts = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata or {}
        texts += [str(v) for v in info.values()]
        xmp = reader.trailer["/Root"].get("/Metadata")
        if xmp is not None:
            texts.append(xmp.get_object().get_data().decode("utf-8", "replace"))
    except Refused:
        raise
    except (PdfReadError, KeyError, ValueError, TypeError, AttributeError, RecursionError, zlib.error) as exc:
        raise Refused(f"PDF として読めません（{type(exc).__name__}）") from None
    return "\n".join(texts)


def _plumbing(reader: Any, key: tuple[int, int]) -> bool:
    """An object the file's own structure needs and no page uses: a cross-reference or object stream."""
    from pypdf.generic import IndirectObject, StreamObject

    obj = IndirectObject(key[0], key[1], reader).get_object()
    return isinstance(obj, StreamObject) and obj.get("/Type") in ("/XRef", "/ObjStm")


def _reachable(reader: Any) -> set[tuple[int, int]]:
    """Every indirect object the trailer leads to; refuses what a certificate never holds."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, StreamObject

    seen: set[tuple[int, int]] = set()
    stack: list[Any] = [reader.trailer.get(k) for k in ("/Root", "/Info") if k in reader.trailer]
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            key = (obj.idnum, obj.generation)
            if key in seen:
                continue
            seen.add(key)
            obj = obj.get_object()
        if isinstance(obj, (DictionaryObject, StreamObject)):
            for k, v in obj.items():
                if k in _PDF_REFUSED or (isinstance(v, NameObject) and v in _PDF_REFUSED):
                    raise Refused(f"PDF に{_PDF_REFUSED.get(k) or _PDF_REFUSED[v]}があります。中身を確かめられないため"
                                   "受け付けません")
                if k == "/Subtype" and v == "/Image":
                    raise Refused("PDF に画像があります。写っている文字を確かめられないため受け付けません"
                                   "（saiken が作る消去証明書に画像はありません）")
                stack.append(v)
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)
    return seen

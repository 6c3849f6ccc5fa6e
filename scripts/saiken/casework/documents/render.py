"""Typst compilation: a template from policies/templates/ plus the document's data → PDF bytes.

Why Typst (the `typst` wheel) and not Jinja2 + a HTML/LaTeX engine: the wheel is the whole
typesetter – no system packages, no browser, no TeX – and compiles a page in about 12 ms. Its
templates are plain text files a user can edit in policies/templates/, with real tables, page
breaks and Japanese line breaking (kinsoku) built in, and it embeds (subsets) the fonts it uses.

No plaintext ever touches the disk here: the template is read as bytes, the data goes in as one
JSON string through `sys.inputs` (templates read it with `json(bytes(sys.inputs.data))`), and the
PDF comes back as bytes. The only file written is the exported PDF itself (see documents.export).

Fonts: IPAex Gothic ships inside the `matplotlib-fontja` wheel (a dependency, so pip installs it);
IPAex Mincho comes from the Debian package fonts-ipaexfont-mincho (scripts/setup.sh). Without
Mincho the documents fall back to Gothic, with a warning. System fonts are ignored so that every
machine renders the same PDF.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

from saiken.core import yamlio
from saiken.errors import SaikenError

TEMPLATES_DIR = "policies/templates"
MINCHO_DIRS = (Path("/usr/share/fonts/opentype/ipaexfont-mincho"),
               Path("/usr/share/fonts/truetype/ipaexfont-mincho"))
GOTHIC, MINCHO = "IPAexGothic", "IPAexMincho"


def gothic_dir() -> Path:
    """The folder of ipaexg.ttf inside matplotlib-fontja, found without importing matplotlib."""
    spec = importlib.util.find_spec("matplotlib_fontja")
    for base in (spec.submodule_search_locations or []) if spec else []:
        folder = Path(base) / "fonts"
        if (folder / "ipaexg.ttf").is_file():
            return folder
    raise SaikenError("日本語フォント（IPAexゴシック）が見つかりません。",
                      hint="scripts/setup.sh を実行して matplotlib-fontja を入れてください。")


def mincho_dir() -> Path | None:
    return next((d for d in MINCHO_DIRS if (d / "ipaexm.ttf").is_file()), None)


def font_setup() -> tuple[list[str], str]:
    """(font folders, the family to use for 明朝 text)."""
    folders = [str(gothic_dir())]
    mincho = mincho_dir()
    if mincho is None:
        print("警告: IPAex明朝（fonts-ipaexfont-mincho）がないため、ゴシック体で作成します。"
              "対処: sudo apt-get install fonts-ipaexfont-mincho", file=sys.stderr)
        return folders, GOTHIC
    return folders + [str(mincho)], MINCHO


@lru_cache(maxsize=None)
def _cmap(path: str) -> frozenset[int]:
    from fontTools.ttLib import TTFont  # fonttools comes with matplotlib-fontja; ~0.15 s per font

    return frozenset(TTFont(path, lazy=True).getBestCmap())




def _in_jis_x_0208(ch: str) -> bool:
    try:
        ch.encode("shift_jis")
        return True
    except UnicodeEncodeError:
        return False


def missing_glyphs(data: dict[str, Any], folders: list[str]) -> list[str]:
    """Characters of the data that a document font cannot print (they would come out blank).

    Every JIS X 0208 character is in both IPAex fonts, so only the others are looked up."""
    rare = {ch for text in yamlio.leaves(data) if isinstance(text, str) for ch in text if not ch.isspace() and not _in_jis_x_0208(ch)}
    if not rare:
        return []
    fonts = [str(p) for folder in folders for p in sorted(Path(folder).glob("ipaex*.ttf"))]
    return sorted(ch for ch in rare if any(ord(ch) not in _cmap(f) for f in fonts))


def template_root(repo_root: Path) -> Path:
    folder = repo_root / TEMPLATES_DIR
    if not folder.is_dir():
        raise SaikenError("文書のひな形のフォルダがありません。", where=TEMPLATES_DIR,
                          hint="saiken のチェックアウトの policies/templates/ を記録リポジトリにコピーしてください。")
    return folder


def read_template(repo_root: Path, name: str) -> bytes:
    path = template_root(repo_root) / name
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise SaikenError("文書のひな形がありません。", where=f"{TEMPLATES_DIR}/{name}",
                          hint="saiken のチェックアウトの policies/templates/ から同名のファイルをコピーしてください。") from None


def compile_pdf(repo_root: Path, template: str, data: dict[str, Any]) -> bytes:
    """Compile policies/templates/<template> with `data`; the PDF as bytes."""
    source = read_template(repo_root, template)
    folders, mincho = font_setup()
    missing = missing_glyphs(data, folders)
    if missing:
        shown = "、".join(f"{ch}（U+{ord(ch):04X}）" for ch in missing)
        raise SaikenError(f"文書のフォント（IPAex）にない文字があるため、正しく印字できません: {shown}",
                          hint="記録のその文字を通用字体に直してください（例: 𠮷→吉）。`saiken case edit ID`")
    return typeset(source, template_root(repo_root), data, folders, f"{TEMPLATES_DIR}/{template}",
                   mincho=mincho, hint="ひな形を直すか、saiken のチェックアウトの元のひな形に戻してください。")


def typeset(source: bytes, root: Path, data: dict[str, Any], folders: list[str], where: str, *,
            mincho: str = GOTHIC, hint: str | None = None) -> bytes:
    """The one place that runs Typst: `data` goes in as JSON through sys.inputs, PDF bytes come out."""
    import typst  # imported here: ~40 ms that commands without documents need not pay

    inputs = {"data": json.dumps(data, ensure_ascii=False), "mincho": mincho, "gothic": GOTHIC, "font": GOTHIC}
    try:
        fonts = typst.Fonts(include_system_fonts=False, include_embedded_fonts=True, font_paths=folders)
        pdf = typst.compile(source, root=str(root), font_paths=fonts,
                            ignore_system_fonts=True, sys_inputs=inputs, format="pdf")
    except typst.TypstError as exc:
        raise SaikenError("ひな形を組版できません:\n" + str(getattr(exc, "diagnostic", None) or exc),
                          where=where, hint=hint) from None
    if not isinstance(pdf, bytes):
        raise SaikenError("PDF を作成できませんでした。", where=where)
    return pdf

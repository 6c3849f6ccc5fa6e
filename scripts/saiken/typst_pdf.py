"""PDF through Typst (the `typst` wheel) with IPAex Gothic from the `matplotlib-fontja` wheel.

A small helper of the council export: font discovery and compilation of a template shipped in
saiken/templates/ with JSON data passed through `sys.inputs` (no temp files, nothing to escape).
The documents package (documents/render.py) does the same for letters; the two can be unified.
System fonts are ignored so that every machine renders the same PDF.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

from saiken.errors import SaikenError

TEMPLATES = Path(__file__).resolve().parent / "templates"
GOTHIC = "IPAexGothic"


def gothic_dir() -> Path:
    """The folder of ipaexg.ttf inside matplotlib-fontja, found without importing matplotlib."""
    spec = importlib.util.find_spec("matplotlib_fontja")
    for base in (spec.submodule_search_locations or []) if spec else []:
        folder = Path(base) / "fonts"
        if (folder / "ipaexg.ttf").is_file():
            return folder
    raise SaikenError("日本語フォント（IPAexゴシック）が見つかりません。",
                      hint="bash scripts/setup.sh を実行して matplotlib-fontja を入れてください。")


def compile_pdf(template: str, data: dict[str, Any]) -> bytes:
    """Compile saiken/templates/<template> with `data` (read there as `json(bytes(sys.inputs.data))`)."""
    import typst  # imported here: commands without PDFs need not pay for it

    source = (TEMPLATES / template).read_bytes()
    inputs = {"data": json.dumps(data, ensure_ascii=False), "font": GOTHIC}
    try:
        fonts = typst.Fonts(include_system_fonts=False, include_embedded_fonts=True, font_paths=[str(gothic_dir())])
        pdf = typst.compile(source, root=str(TEMPLATES), font_paths=fonts, ignore_system_fonts=True,
                            sys_inputs=inputs, format="pdf")
    except typst.TypstError as exc:
        raise SaikenError("PDF を組版できません:\n" + str(getattr(exc, "diagnostic", None) or exc),
                          where=f"saiken/templates/{template}",
                          hint="saiken を入れ直してください（pip install --force-reinstall saiken）。") from None
    if not isinstance(pdf, bytes):
        raise SaikenError("PDF を作成できませんでした。", where=f"saiken/templates/{template}")
    return pdf

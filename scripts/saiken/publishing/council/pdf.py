"""PDF of a template shipped inside the package (saiken/publishing/council/templates/, e.g. the council report).

Fonts and compilation are documents.render's (one Typst code path); this only locates the
package's own templates, which – unlike the letters in policies/templates/ – are not user-edited.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from saiken.casework.documents.render import gothic_dir, typeset

TEMPLATES = Path(__file__).resolve().parent / "templates"


def compile_pdf(template: str, data: dict[str, Any]) -> bytes:
    """Compile saiken/publishing/council/templates/<template> with `data` (read there as `json(bytes(sys.inputs.data))`)."""
    return typeset((TEMPLATES / template).read_bytes(), TEMPLATES, data, [str(gothic_dir())],
                   f"saiken/publishing/council/templates/{template}",
                   hint="saiken を入れ直してください（pip install --force-reinstall saiken）。")

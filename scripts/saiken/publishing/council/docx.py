"""The council report as DOCX (python-docx): real Word tables the ward can edit further.

The East Asian font is set on the document defaults (ＭＳ 明朝, what a ward's Word has; LibreOffice
substitutes an installed Japanese font such as IPAex Mincho).
"""

from __future__ import annotations

import io

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from saiken.publishing.council.blocks import Block, Cell

EAST_ASIAN_FONT = "ＭＳ 明朝"
WIDTHS = (Mm(45), Mm(125))


def _set_fonts(doc: Document) -> None:  # type: ignore[valid-type]
    style = doc.styles["Normal"]
    style.font.size = Pt(10.5)
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), EAST_ASIAN_FONT)


def _fill(cell, parts: Cell) -> None:  # type: ignore[no-untyped-def]
    lines = [x for part in parts for x in ([part] if isinstance(part, str) else part)]
    cell.paragraphs[0].text = lines[0] if lines else ""
    for line in lines[1:]:
        cell.add_paragraph(line)


def _table(doc: Document, rows: list[tuple[str, Cell]]) -> None:  # type: ignore[valid-type]
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, parts in rows:
        cells = table.add_row().cells
        cells[0].text = label
        _fill(cells[1], parts)
    # Word reads the cells' widths, LibreOffice the grid's: set both.
    table.autofit = False
    for column, width in zip(table.columns, WIDTHS):
        column.width = width
    for row in table.rows:
        for cell, width in zip(row.cells, WIDTHS):
            cell.width = width


def to_docx(blocks: list[Block]) -> bytes:
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(20)
    _set_fonts(doc)
    for b in blocks:
        if b.kind == "title":
            title = doc.add_paragraph()
            title.alignment = WD_ALIGN_PARAGRAPH.CENTER
            title.add_run(b.text).font.size = Pt(15)
        elif b.kind == "heading":
            doc.add_heading(b.text, level=2)
        elif b.kind == "para" and b.text:
            doc.add_paragraph(b.text)
        elif b.kind == "table":
            _table(doc, b.rows)
        elif b.kind == "pagebreak":
            doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()

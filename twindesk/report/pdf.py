"""Lay the report's sections out as an A4 PDF with reportlab (BSD licence).

Text uses DejaVu Sans (shipped with matplotlib) so units such as mmHg·s/ml, cm², ° and the
minus sign print as themselves. Every page carries the identification line, the intended-use
statement and the page number.
"""

from __future__ import annotations

import io
from pathlib import Path
from xml.sax.saxutils import escape

from twindesk.report.content import Figure, Missing, Paragraph, Section, Table

FONT, FONT_BOLD = "TwindeskSans", "TwindeskSans-Bold"
_STYLES: dict[str, dict] = {
    "body": {"fontSize": 9.5, "leading": 12.5},
    "small": {"fontSize": 8, "leading": 10, "textColor": "#444444"},
    "note": {"fontSize": 9, "leading": 12, "textColor": "#444444"},
    "warning": {"fontSize": 9, "leading": 12, "textColor": "#8a4b00", "leftIndent": 8},
    "statement": {"fontSize": 10, "leading": 13, "textColor": "#7a0000", "fontName": FONT_BOLD},
    "missing": {"fontSize": 9.5, "leading": 12.5, "textColor": "#333333", "leftIndent": 8,
                "borderPadding": 4, "backColor": "#f2f2f2"},
    "caption": {"fontSize": 8, "leading": 10, "textColor": "#333333"},
    "cell": {"fontSize": 8, "leading": 9.8},
    "head": {"fontSize": 8, "leading": 9.8, "fontName": FONT_BOLD},
    "h1": {"fontSize": 17, "leading": 21, "fontName": FONT_BOLD, "spaceAfter": 4},
    "h2": {"fontSize": 12.5, "leading": 16, "fontName": FONT_BOLD, "spaceBefore": 10,
           "spaceAfter": 4, "textColor": "#123b66", "keepWithNext": 1},
}


def _register_fonts() -> None:
    import matplotlib
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    ttf = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    pdfmetrics.registerFont(TTFont(FONT, str(ttf / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(ttf / "DejaVuSans-Bold.ttf")))
    from reportlab.lib.fonts import addMapping

    for bold, italic, face in ((0, 0, FONT), (1, 0, FONT_BOLD), (0, 1, FONT), (1, 1, FONT_BOLD)):
        addMapping(FONT, bold, italic, face)  # so <b> in a paragraph picks the bold face


def _styles():
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle

    out = {}
    for name, spec in _STYLES.items():
        spec = dict(spec)
        for key in ("textColor", "backColor"):
            if key in spec:
                spec[key] = colors.HexColor(spec[key])
        out[name] = ParagraphStyle(name, fontName=spec.pop("fontName", FONT), **spec)
    return out


def _flowables(section: Section, styles, width: float) -> list:
    from reportlab.lib import colors
    from reportlab.platypus import Image, KeepTogether, Spacer
    from reportlab.platypus import Paragraph as P
    from reportlab.platypus import Table as T
    from reportlab.platypus import TableStyle

    out = [P(escape(section.title), styles["h2"])]
    for block in section.blocks:
        if isinstance(block, Paragraph):
            out.append(P(escape(block.text), styles[block.style]))
            out.append(Spacer(1, 2))
        elif isinstance(block, Missing):
            text = f"<b>Not computed:</b> {escape(block.what)}."
            if block.how:
                text += f" Next step: {escape(block.how)}."
            out += [Spacer(1, 3), P(text, styles["missing"]), Spacer(1, 6)]
        elif isinstance(block, Table):
            fractions = block.widths or (1.0 / len(block.header),) * len(block.header)
            data = [[P(escape(h), styles["head"]) for h in block.header]]
            data += [[P(escape(str(c)), styles["cell"]) for c in row] for row in block.rows]
            table = T(data, colWidths=[f * width for f in fractions], repeatRows=1)
            table.setStyle(TableStyle([
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dfe8f3")),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f6f8fb")]),
                ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.HexColor("#123b66")),
                ("BOX", (0, 0), (-1, -1), 0.4, colors.HexColor("#9aa9bb")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]))
            items = [table]
            if block.caption:
                items.insert(0, P(escape(block.caption), styles["caption"]))
            out += [Spacer(1, 3), *items, Spacer(1, 6)] if len(block.rows) > 12 else \
                [Spacer(1, 3), KeepTogether(items), Spacer(1, 6)]
        elif isinstance(block, Figure):
            from reportlab.lib.utils import ImageReader

            reader = ImageReader(io.BytesIO(block.png))
            w_px, h_px = reader.getSize()
            w = width * block.width_fraction
            h = w * h_px / w_px
            image = Image(io.BytesIO(block.png), width=w, height=h)
            out.append(KeepTogether([Spacer(1, 3), image,
                                     P(escape(block.caption), styles["caption"]),
                                     Spacer(1, 6)]))
    if not any(isinstance(b, (Table, Figure)) for b in section.blocks):
        return [KeepTogether(out)]  # a short text-only section is not split across pages
    return out


def write_pdf(sections: list[Section], out: Path, title: str, header: str, footer: str) -> int:
    """Write ``sections`` to ``out``; returns the page count.

    ``header`` (identification) and ``footer`` (intended use) are printed on every page.
    """
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph as P
    from reportlab.platypus import SimpleDocTemplate

    _register_fonts()
    styles = _styles()
    pages = {"n": 0}

    def decorate(canvas, doc) -> None:
        pages["n"] = doc.page
        canvas.saveState()
        canvas.setFont(FONT, 7.5)
        canvas.setFillGray(0.3)
        canvas.drawString(18 * mm, A4[1] - 11 * mm, header[:150])
        canvas.drawString(18 * mm, 9 * mm, footer[:150])
        canvas.drawRightString(A4[0] - 18 * mm, 9 * mm, f"page {doc.page}")
        canvas.setStrokeGray(0.7)
        canvas.line(18 * mm, A4[1] - 13 * mm, A4[0] - 18 * mm, A4[1] - 13 * mm)
        canvas.restoreState()

    doc = SimpleDocTemplate(str(out), pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm,
                            topMargin=18 * mm, bottomMargin=16 * mm, title=title,
                            author="twindesk", subject="Planning report", creator="twindesk")
    story = [P(escape(title), styles["h1"])]
    for section in sections:
        story += _flowables(section, styles, doc.width)
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return pages["n"]

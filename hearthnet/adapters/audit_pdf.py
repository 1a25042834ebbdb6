"""The alert audit as a PDF an auditor can file: the report's text, its digest on every page."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from fpdf import FPDF

if TYPE_CHECKING:
    from typing import Any

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
"""Debian's fonts-dejavu-core (installed by the set-up): every script names and notes use."""


class _Report(FPDF):
    digest = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("body", size=7)
        self.cell(0, 5, f"{self.digest}  page {self.page_no()}/{{nb}}", align="C")


def write_pdf(report: dict[str, Any], text: str, digest: str, path: Path) -> None:
    """Write the report to `path` as a PDF."""
    pdf = _Report(format="A4")
    pdf.digest = digest
    pdf.set_title(f"HearthNet alert audit {report['as_of']}")
    pdf.set_creator("hearthnet audit alerts")
    pdf.add_font("body", fname=str(FONT))
    pdf.alias_nb_pages()
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.add_page()
    pdf.set_font("body", size=14)
    pdf.multi_cell(0, 8, "Civil-defence alert audit", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("body", size=8)
    pdf.multi_cell(0, 4.5, f"Report digest {digest}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    for line in text.splitlines():
        pdf.multi_cell(0, 4.2, line or " ", new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))

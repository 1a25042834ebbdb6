"""QR codes drawn on the node as inline SVG: nothing fetched from the internet."""

from __future__ import annotations

import io

import segno


def qr_svg(text: str) -> str:
    """An SVG QR code of text, sized by its container."""
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="svg", scale=4, border=2, xmldecl=False, svgns=True)
    return out.getvalue().decode()

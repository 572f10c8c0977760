"""A QR code as SVG, for the person to show a document's short link to an employer on a phone."""

from __future__ import annotations

import html

from reportlab.graphics.barcode import qrencoder

_QUIET = 4  # modules of white border


def qr_svg(link: str, size: int = 200) -> str:
    code = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    code.addData(link)
    code.make()
    total = code.getModuleCount() + 2 * _QUIET
    dark = "".join(
        f'<rect x="{c + _QUIET}" y="{r + _QUIET}" width="1" height="1"/>'
        for r, row in enumerate(code.modules)
        for c, module in enumerate(row)
        if module
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{html.escape(link)}" '
        f'viewBox="0 0 {total} {total}" width="{size}" height="{size}" shape-rendering="crispEdges">'
        f'<rect width="{total}" height="{total}" fill="#fff"/><g fill="#000">{dark}</g></svg>'
    )

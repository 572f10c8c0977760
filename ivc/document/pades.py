"""Optional PAdES seal of issued PDFs (pyHanko), with the seal certificate a deployment holds
(``IVC_PADES_PKCS12_FILE`` and ``IVC_PADES_PKCS12_PASSWORD``). The seal is added as an incremental
update, so the embedded JSON twin and everything drawn stay as rendered; the register keeps the
sealed file's hash. Without configuration, documents are not sealed (the default)."""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path
from typing import Any

from ivc.config import get_settings


def enabled() -> bool:
    return get_settings().pades_pkcs12_file is not None


@lru_cache(maxsize=2)
def _signer(path: str, password: str | None) -> Any:
    from pyhanko.sign import signers

    signer = signers.SimpleSigner.load_pkcs12(Path(path), passphrase=password.encode() if password else None)
    if signer is None:
        raise ValueError(f"{path}: cannot load the seal (PKCS#12 file or password wrong)")
    return signer


def seal(pdf: bytes, reason: str = "Documento rilasciato da ALFA per Regione Liguria") -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    settings = get_settings()
    assert settings.pades_pkcs12_file is not None
    signer = _signer(str(settings.pades_pkcs12_file), settings.pades_pkcs12_password)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    meta = signers.PdfSignatureMetadata(
        field_name="ALFA-Seal", reason=reason, subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256"
    )
    out = signers.PdfSigner(meta, signer=signer).sign_pdf(writer)
    return bytes(out.getvalue())

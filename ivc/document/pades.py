"""PAdES seal of issued PDFs (pyHanko), with the seal certificate a deployment holds
(``IVC_PADES_PKCS12_FILE`` and ``IVC_PADES_PKCS12_PASSWORD``). The seal is added as an incremental
update, so the embedded JSON twin and everything drawn stay as rendered; the register keeps the
sealed file's hash. Without configuration, documents are not sealed.

The demo seals by default with a **demo certificate** (``use_demo_seal``): self-signed, created once
under the data directory, and marked as such in its subject ("DEMO … NOT VALID"), on the page and
by ``ivc verify``. A real Region swaps it for its qualified seal by setting the two variables.
``seal_status`` checks the seal of a PDF (integrity, signature, whether the certificate is the one
this deployment seals with, whether it is a demo certificate).
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from ivc.config import get_settings, reset_settings

DEMO_MARK = "DEMO"
DEMO_NAME = "DEMO SEAL - NOT VALID - Regione Liguria / ALFA"  # a CN has at most 64 characters
DEMO_PASSWORD = "ivc-demo-seal"


def enabled() -> bool:
    return get_settings().pades_pkcs12_file is not None


@lru_cache(maxsize=2)
def _signer(path: str, password: str | None) -> Any:
    from pyhanko.sign import signers

    signer = signers.SimpleSigner.load_pkcs12(Path(path), passphrase=password.encode() if password else None)
    if signer is None:
        raise ValueError(f"{path}: cannot load the seal (PKCS#12 file or password wrong)")
    return signer


def _configured_signer() -> Any:
    settings = get_settings()
    assert settings.pades_pkcs12_file is not None
    return _signer(str(settings.pades_pkcs12_file), settings.pades_pkcs12_password)


def is_demo() -> bool:
    """Whether the configured seal certificate is a demo one (its subject says so)."""
    return enabled() and DEMO_MARK in _configured_signer().signing_cert.subject.human_friendly


def seal(pdf: bytes, reason: str = "Documento rilasciato da ALFA per Regione Liguria") -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    signer = _configured_signer()
    if is_demo():
        reason = "DEMO: sigillo dimostrativo senza valore legale / demonstration seal, not valid"
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    meta = signers.PdfSignatureMetadata(
        field_name="ALFA-Seal", reason=reason, subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256"
    )
    out = signers.PdfSigner(meta, signer=signer).sign_pdf(writer)
    return bytes(out.getvalue())


def demo_certificate(path: Path) -> Path:
    """Create (once) the demo seal: a self-signed P-256 certificate whose subject says DEMO and NOT
    VALID, in a PKCS#12 file readable only by its owner."""
    if path.is_file():
        return path
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "IT"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "DEMO - ivc (no legal value)"),
            x509.NameAttribute(NameOID.COMMON_NAME, DEMO_NAME),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
        .sign(key, hashes.SHA256())
    )
    data = pkcs12.serialize_key_and_certificates(
        b"ivc-demo-seal", key, cert, None, serialization.BestAvailableEncryption(DEMO_PASSWORD.encode())
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return path


def use_demo_seal() -> Path | None:
    """Seal with the demo certificate from now on in this process, unless a real seal is configured
    (then nothing changes and None is returned)."""
    if enabled():
        return None
    path = demo_certificate(get_settings().data_dir / "keys" / "demo-seal.p12")
    os.environ["IVC_PADES_PKCS12_FILE"] = str(path)
    os.environ["IVC_PADES_PKCS12_PASSWORD"] = DEMO_PASSWORD
    reset_settings()
    return path


def seal_status(pdf: bytes) -> dict[str, Any] | None:
    """The PAdES seal of ``pdf``, checked: None if it has none; else whether it is intact (the
    signed bytes unchanged) and valid (the signature matches the certificate), whether it covers
    the whole file, who sealed, whether that is the certificate this deployment seals with, and
    whether it is a demo certificate."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    try:
        signatures = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures
    except Exception:  # not a PDF pyHanko can read: no seal to speak of
        return None
    if not signatures:
        return None
    signature = signatures[-1]
    roots = [_configured_signer().signing_cert] if enabled() else []
    quiet = logging.getLogger("pyhanko")  # an untrusted certificate is a finding here, not a log traceback
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)
    try:
        status = validate_pdf_signature(signature, ValidationContext(trust_roots=roots))
    except Exception as exc:  # a malformed signature is a broken seal
        return {"intact": False, "valid": False, "error": str(exc)[:200]}
    finally:
        quiet.setLevel(level)
    subject = signature.signer_cert.subject.human_friendly
    return {
        "intact": bool(status.intact),
        "valid": bool(status.valid),
        "whole_file": status.coverage is not None and status.coverage.name == "ENTIRE_FILE",
        "signer": subject,
        "ours": bool(status.trusted),
        "demo": DEMO_MARK in subject,
        "signed_at": status.signer_reported_dt.isoformat() if status.signer_reported_dt else None,
    }

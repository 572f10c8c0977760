"""Write certificates/icc/sRGB.icc, the output intent of ivc's PDF/A documents: LittleCMS's built-in
sRGB profile (through Pillow, a dependency), with a fixed creation date and the version field set
to 4.2 (the ICC version ISO 32000-1 refers to), so the file — and every PDF embedding it — is the
same on every machine. Run once; the file is kept in the repository: `python tools/make_srgb_icc.py`."""

from __future__ import annotations

from pathlib import Path

from PIL import ImageCms

OUT = Path(__file__).resolve().parents[1] / "certificates" / "icc" / "sRGB.icc"


def main() -> None:
    data = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    assert data[36:40] == b"acsp" and data[16:20] == b"RGB "
    data[8:12] = bytes([4, 0x20, 0, 0])  # version 4.2.0
    data[24:36] = bytes([0x07, 0xD0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0])  # 2000-01-01 00:00:00
    data[84:100] = bytes(16)  # no profile ID (allowed: "not computed")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_bytes(bytes(data))
    print(OUT, len(data), "bytes")


if __name__ == "__main__":
    main()

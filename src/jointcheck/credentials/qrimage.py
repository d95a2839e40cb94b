"""QR images of credentials: PNG or SVG out (segno), PNG or JPEG in (zxing-cpp).

Written at error correction level Q (a printed code survives a fold or a smudge, about 25 %
of the symbol) in alphanumeric mode: Base45 and our prefixes use only QR alphanumeric
characters (ISO/IEC 18004 section 7.4.4), which packs 11 bits per two characters.
"""

from __future__ import annotations

import io

import segno
import zxingcpp
from PIL import Image, UnidentifiedImageError

from jointcheck.errors import InputError

IMAGE_KINDS = ("png", "svg")
_QR_FORMATS = zxingcpp.barcode_formats_from_str("QRCode")
MAX_IMAGE_PIXELS = 40_000_000  # a phone photo is ~12 MP; refuse decompression bombs early


def qr_image(text: str, kind: str = "png", *, scale: int = 4) -> bytes:
    """The QR code of TEXT as ``png`` or ``svg`` bytes: level Q, alphanumeric mode."""
    if kind not in IMAGE_KINDS:
        raise InputError(f"QR images are PNG or SVG, not {kind!r}")
    code = segno.make(text, error="q", mode="alphanumeric", micro=False, boost_error=False)
    out = io.BytesIO()
    code.save(out, kind=kind, scale=scale, border=4)
    return out.getvalue()


def is_image(data: bytes) -> bool:
    """PNG or JPEG, by their signatures."""
    return data.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff"))


def read_qr_image(data: bytes) -> list[str]:
    """The text of every QR code in a PNG or JPEG image (possibly none)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise InputError("image too large to be a scanned code", code="IMAGE_TOO_LARGE")
            image.load()
            barcodes = zxingcpp.read_barcodes(image.convert("L"), formats=_QR_FORMATS)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise InputError("not a readable PNG or JPEG image", code="IMAGE_UNREADABLE") from exc
    return [barcode.text for barcode in barcodes if barcode.text]

"""Reading the QR code in an uploaded image (PNG or JPEG) with zxing-cpp, bounded.

An upload is hostile until proven otherwise: its size is capped by the body-limit middleware,
its format must be PNG or JPEG by content (not by the name or the declared type), and its
pixel count is checked from the header before any pixel is decoded, so a small file that
claims to be 100,000 x 100,000 pixels (a decompression bomb) is refused without inflating it.
"""

from __future__ import annotations

import io
import warnings

import zxingcpp
from PIL import Image, UnidentifiedImageError

from jointcheck.errors import InputError

ALLOWED_FORMATS = frozenset({"PNG", "JPEG"})
MAX_PIXELS = 16_000_000
_QR_ONLY = zxingcpp.barcode_formats_from_str(
    "QRCode"
)  # a 4000 x 4000 photo of a phone screen, with room to spare


def decode_qr_image(data: bytes, max_pixels: int = MAX_PIXELS) -> str:
    """The text of the first QR code in a PNG or JPEG image; InputError with a code otherwise."""
    if not data:
        raise InputError("the uploaded image is empty", code="IMAGE_EMPTY")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in ALLOWED_FORMATS:
                raise InputError("only PNG and JPEG images are read", code="IMAGE_FORMAT")
            width, height = image.size
            if width * height > max_pixels:
                raise InputError(
                    f"image of {width}x{height} pixels is too large", code="IMAGE_TOO_LARGE"
                )
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InputError("the image cannot be read", code="IMAGE_UNREADABLE") from exc
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise InputError("the image is too large", code="IMAGE_TOO_LARGE") from exc
    found = zxingcpp.read_barcodes(image, formats=_QR_ONLY)
    texts = [code.text for code in found if code.text]
    if not texts:
        raise InputError("no QR code found in the image", code="NO_QR_CODE")
    return texts[0]

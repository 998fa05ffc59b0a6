"""Photos in: checked, bounded and turned upright; photos out: without any metadata."""

from __future__ import annotations

import io
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps

FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF")


class PhotoError(ValueError):
    """The upload is not a photo we can read; the message is one sentence for the driver."""


@dataclass(frozen=True, slots=True)
class Limits:
    """How big an upload may be, in bytes and in pixels (a small file can decode to gigabytes)."""

    max_bytes: int = 8_000_000
    max_pixels: int = 50_000_000


def open_photo(data: bytes, limits: Limits) -> Image.Image:
    """The photo as upright RGB pixels; PhotoError for anything else or anything too large."""
    if not data:
        raise PhotoError("The upload is empty; take or choose a photo of the screen.")
    if len(data) > limits.max_bytes:
        raise PhotoError(f"The photo is larger than {limits.max_bytes // 1_000_000} MB.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=FORMATS)  # reads the header only
            width, height = image.size
            if width * height > limits.max_pixels:
                raise PhotoError(
                    f"The photo has {width}×{height} pixels; "
                    f"at most {limits.max_pixels // 1_000_000} million are accepted."
                )
            image.load()
            upright = ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning) as exc:
        if isinstance(exc, PhotoError):
            raise
        raise PhotoError("The upload is not a photo this service can read (JPEG or PNG).") from None
    return upright.convert("RGB")


def without_metadata(image: Image.Image, quality: int = 90) -> bytes:
    """JPEG made from the pixels alone: no EXIF, no GPS position, no maker notes."""
    clean = Image.new("RGB", image.size)
    clean.paste(image.convert("RGB"))
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=quality)
    return out.getvalue()


def store_photo(image: Image.Image, folder: Path) -> str:
    """Keep a photo the driver agreed to share, stripped of metadata, under a random name."""
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{uuid.uuid4().hex}.jpg"
    (folder / name).write_bytes(without_metadata(image))
    return name

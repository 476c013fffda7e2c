"""Image decoding with Pillow: what counts as an image is what Pillow can decode.

Names and browser-supplied types are never trusted. The pixel count is checked from the header
before any decoding, so a small file that expands to gigabytes (a decompression bomb) is refused
cheaply.
"""

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import ValidationError

# Raster formats a browser can show; everything else (SVG is not even decodable) is not an image.
RASTER_FORMATS = frozenset({"PNG", "JPEG", "GIF", "WEBP", "BMP", "TIFF", "ICO", "MPO"})

_DECODE_ERRORS = (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError)


def open_image(source: bytes | str, max_pixels: int) -> Image.Image:
    """Decode ``source`` (bytes, or a file path) into a fully loaded image, or raise
    ``ValidationError``."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(source) if isinstance(source, bytes) else source)
            if image.format not in RASTER_FORMATS:
                raise ValidationError("That file is not an image.", code="not_an_image")
            width, height = image.size
            if width * height > max_pixels:
                raise ValidationError(
                    "That image has too many pixels.", code="image_too_large"
                )
            image.load()
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError("That image has too many pixels.", code="image_too_large") from None
    except _DECODE_ERRORS:
        raise ValidationError("That file is not an image.", code="not_an_image") from None
    return image


def thumbnail_webp(image: Image.Image, size: int) -> bytes:
    """A thumbnail no larger than ``size`` on its longest side, as WebP."""
    image = ImageOps.exif_transpose(image)
    image = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB")
    image.thumbnail((size, size), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="WEBP", quality=80)
    return out.getvalue()


def square_png(image: Image.Image, size: int) -> bytes:
    """Crop ``image`` to a centred square of ``size`` pixels and encode it as PNG."""
    image = ImageOps.exif_transpose(image)
    image = image.convert("RGBA")
    image = ImageOps.fit(image, (size, size), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()

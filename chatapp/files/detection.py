"""What an uploaded file is, decided from its content, never from its name or claimed type.

An image is what Pillow decodes as a raster format; audio and video are recognised by their
magic bytes (the ``filetype`` library); everything else is "others" and is only ever offered
as a download.
"""

import os
import unicodedata
from dataclasses import dataclass

import filetype
from PIL import ExifTags, Image

from ..errors import ValidationError
from . import images

# The kinds of file, spelled as the message types they are sent as (``models.MsgType``).
IMAGE, AUDIO, VIDEO, OTHERS = "image", "audio", "video", "others"

FILE_NAME_MAX = 200
_IMAGE_EXT = {"PNG": ".png", "JPEG": ".jpg", "GIF": ".gif", "WEBP": ".webp", "BMP": ".bmp",
              "TIFF": ".tiff", "ICO": ".ico", "MPO": ".jpg"}


@dataclass
class Detected:
    """The kind of an uploaded file and how it will be stored and served."""

    kind: str  # IMAGE, AUDIO, VIDEO or OTHERS
    mime: str
    extension: str
    width: int | None = None
    height: int | None = None
    image: Image.Image | None = None


def clean_file_name(raw: str | None) -> str:
    """The original name as shown to people: no path, no control characters, bounded."""
    name = unicodedata.normalize("NFC", raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]  # drop any directory part
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip(" .")
    if len(name) > FILE_NAME_MAX:
        stem, ext = os.path.splitext(name)
        ext = ext[:16]
        name = stem[: FILE_NAME_MAX - len(ext)] + ext
    return name or "file"


def detect(path: str, max_pixels: int) -> Detected:
    """Decide what the stored file at ``path`` is."""
    try:
        image = images.open_image(path, max_pixels)
    except ValidationError as error:
        if error.code == "image_too_large":
            raise
        image = None
    if image is not None:
        # The size as shown: a photo taken sideways is stored turned, with an EXIF note.
        width, height = image.size
        if image.getexif().get(ExifTags.Base.Orientation) in (5, 6, 7, 8):
            width, height = height, width
        return Detected(IMAGE, Image.MIME.get(image.format, "application/octet-stream"),
                        _IMAGE_EXT.get(image.format, ".img"), width, height, image)
    guess = filetype.guess(path)
    if guess is not None:
        top = guess.mime.split("/", 1)[0]
        if top in (AUDIO, VIDEO):
            return Detected(top, guess.mime, "." + guess.extension)
    return Detected(OTHERS, "application/octet-stream", ".bin")


def shown_inline(mime: str | None) -> bool:
    """Only raster images, audio and video are shown in the page; the rest is downloaded."""
    return bool(mime) and mime.split("/", 1)[0] in ("image", "audio", "video") \
        and mime != "image/svg+xml"

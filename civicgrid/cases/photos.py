"""Photos from phones: type and size checked, EXIF location read, then EXIF stripped.

The stored file is re-encoded from pixels only (JPEG for JPEG/HEIC, PNG for PNG), so no
metadata (GPS, camera serial, owner name) survives into storage.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from PIL import Image, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

from civicgrid.accounts.models import User
from civicgrid.cases.models import Case, CasePhoto
from civicgrid.core.errors import ValidationFailed

register_heif_opener()

ALLOWED_FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"),
                   "HEIF": ("image/jpeg", "jpg")}
GPS_IFD = 0x8825
MAX_PIXELS = 40_000_000


@dataclass(frozen=True)
class CleanPhoto:
    content: bytes
    content_type: str
    extension: str
    lng: float | None
    lat: float | None


def _rational(value: object) -> float:
    return float(value)  # PIL gives IFDRational, which converts


def _gps(image: Image.Image) -> tuple[float | None, float | None]:
    try:
        gps = image.getexif().get_ifd(GPS_IFD)
    except Exception:  # noqa: BLE001 - malformed EXIF is simply ignored
        return None, None
    try:
        lat_ref, lat, lng_ref, lng = gps.get(1), gps.get(2), gps.get(3), gps.get(4)
        if not (lat and lng):
            return None, None
        lat_v = _rational(lat[0]) + _rational(lat[1]) / 60 + _rational(lat[2]) / 3600
        lng_v = _rational(lng[0]) + _rational(lng[1]) / 60 + _rational(lng[2]) / 3600
        if str(lat_ref).upper().startswith("S"):
            lat_v = -lat_v
        if str(lng_ref).upper().startswith("W"):
            lng_v = -lng_v
        if not (-90 <= lat_v <= 90 and -180 <= lng_v <= 180):
            return None, None
        return lng_v, lat_v
    except (TypeError, ValueError, ZeroDivisionError, IndexError):
        return None, None


def clean(upload: UploadedFile) -> CleanPhoto:
    """Validate and strip one upload; raises ValidationFailed with a Chinese message."""
    limit = settings.CASE_PHOTO_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise ValidationFailed(f"照片不能超过 {limit // (1024 * 1024)} MB。", code="photo_too_large",
                               fields={"photos": [upload.name]})
    upload.seek(0)  # a parser or an earlier check may have read it already
    data = upload.read()
    if len(data) > limit:
        raise ValidationFailed(f"照片不能超过 {limit // (1024 * 1024)} MB。", code="photo_too_large",
                               fields={"photos": [upload.name]})
    try:
        image = Image.open(io.BytesIO(data))
        if image.format not in ALLOWED_FORMATS:
            raise ValidationFailed("只接受 JPEG、PNG 或 HEIC 照片。", code="photo_type",
                                   fields={"photos": [upload.name]})
        if image.width * image.height > MAX_PIXELS:
            raise ValidationFailed("照片像素过大。", code="photo_too_large", fields={"photos": [upload.name]})
        lng, lat = _gps(image)
        content_type, extension = ALLOWED_FORMATS[image.format]
        image = ImageOps.exif_transpose(image)  # keep the orientation the phone meant
        out = io.BytesIO()
        if extension == "png":
            image.save(out, format="PNG", optimize=True)
        else:
            image.convert("RGB").save(out, format="JPEG", quality=88, optimize=True)
    except ValidationFailed:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise ValidationFailed("无法识别的图片文件。", code="photo_type",
                               fields={"photos": [upload.name]}) from None
    return CleanPhoto(out.getvalue(), content_type, extension, lng, lat)


def clean_all(files: Sequence[UploadedFile]) -> list[CleanPhoto]:
    """Validate and strip every upload before any is stored (all or nothing)."""
    if len(files) > settings.CASE_PHOTO_MAX_COUNT:
        raise ValidationFailed(f"一次最多上传 {settings.CASE_PHOTO_MAX_COUNT} 张照片。",
                               code="too_many_photos", fields={"photos": [str(len(files))]})
    return [clean(f) for f in files]


def first_location(cleaned: Sequence[CleanPhoto]) -> tuple[float, float] | None:
    """The EXIF GPS point (WGS-84, lng/lat) of the first photo that has one."""
    for photo in cleaned:
        if photo.lng is not None and photo.lat is not None:
            return photo.lng, photo.lat
    return None


def store_all(*, case: Case, files: Sequence[UploadedFile], kind: str,
              actor: User | None) -> list[CasePhoto]:
    return store_cleaned(case=case, cleaned=clean_all(files), kind=kind, actor=actor)


def store_cleaned(*, case: Case, cleaned: Sequence[CleanPhoto], kind: str,
                  actor: User | None) -> list[CasePhoto]:
    stored = []
    for photo in cleaned:
        digest = hashlib.sha256(photo.content).hexdigest()
        record = CasePhoto(case=case, kind=kind, content_type=photo.content_type,
                           size=len(photo.content), sha256=digest, exif_lng=photo.lng,
                           exif_lat=photo.lat, uploaded_by=actor, created_at=timezone.now())
        record.file.save(f"{digest[:16]}.{photo.extension}", ContentFile(photo.content), save=False)
        record.save()
        stored.append(record)
    return stored

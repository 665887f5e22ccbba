"""Photos for real: EXIF GPS read then stripped, HEIC, fake and oversize files, scoped download,
request size limits (413)."""

from __future__ import annotations

import io
from fractions import Fraction

import pillow_heif
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image

from civicgrid.cases.models import Case, CasePhoto
from tests.cases.test_api import body, client_for, grid_point, make_case

pytestmark = pytest.mark.django_db

URL = "/api/v1/cases/"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


def _dms(value: float) -> tuple[Fraction, Fraction, Fraction]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = Fraction(round((value - degrees - minutes / 60) * 3600 * 10000), 10000)
    return Fraction(degrees), Fraction(minutes), seconds


def exif_with_gps(lng: float, lat: float) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestPhone"
    exif[ExifTags.Base.Artist] = "张三 13812345678"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N" if lat >= 0 else "S"
    gps[ExifTags.GPS.GPSLatitude] = _dms(abs(lat))
    gps[ExifTags.GPS.GPSLongitudeRef] = "E" if lng >= 0 else "W"
    gps[ExifTags.GPS.GPSLongitude] = _dms(abs(lng))
    return exif


def photo_bytes(fmt: str, lng: float | None = None, lat: float | None = None) -> bytes:
    image = Image.new("RGB", (96, 64), (200, 60, 40))
    out = io.BytesIO()
    kwargs = {"exif": exif_with_gps(lng, lat).tobytes()} if lng is not None and lat is not None else {}
    image.save(out, format=fmt, **kwargs)
    return out.getvalue()


def upload(name: str, data: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def multipart(**fields):  # type: ignore[no-untyped-def]
    data = {k: v for k, v in body(**fields).items() if v is not None}
    data.pop("lng", None), data.pop("lat", None)
    return data


def stored_exif(photo: CasePhoto) -> tuple[bytes, dict]:  # type: ignore[type-arg]
    with photo.file.open("rb") as f:
        raw = f.read()
    image = Image.open(io.BytesIO(raw))
    return raw, dict(image.getexif())


def test_our_test_photo_really_carries_gps() -> None:
    image = Image.open(io.BytesIO(photo_bytes("JPEG", 106.38, 39.02)))
    gps = image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert gps[ExifTags.GPS.GPSLatitudeRef] == "N" and float(gps[ExifTags.GPS.GPSLongitude][0]) == 106
    assert image.getexif()[ExifTags.Base.Make] == "TestPhone"


def test_exif_location_places_the_report_and_is_stripped_from_the_file(cast) -> None:  # type: ignore[no-untyped-def]
    grid, lng, lat = grid_point()
    files = [upload("IMG_0001.jpg", photo_bytes("JPEG", lng, lat)),
             upload("IMG_0002.png", photo_bytes("PNG", lng, lat), "image/png")]
    response = client_for(cast["grid"]).post(URL, {**multipart(), "photos": files}, format="multipart")
    assert response.status_code == 201, response.json()
    data = response.json()
    case = Case.objects.get(pk=data["id"])
    assert case.lng == pytest.approx(lng, abs=1e-6) and case.lat == pytest.approx(lat, abs=1e-6)
    assert data["grid"] == grid.code  # located from the photo's GPS
    photos = list(case.photos.order_by("id"))
    assert [p.content_type for p in photos] == ["image/jpeg", "image/png"]
    assert photos[0].exif_lng == pytest.approx(lng, abs=1e-6)
    for photo in photos:
        raw, exif = stored_exif(photo)
        assert exif == {}
        assert b"Exif" not in raw and b"TestPhone" not in raw and b"13812345678" not in raw
    detail = client_for(cast["grid"]).get(response["Location"]).json()
    assert [p["id"] for p in detail["photos"]] == [p.pk for p in photos]
    assert detail["events"][0]["data"]["photos"] == [p.pk for p in photos]


def test_a_given_point_wins_over_exif(cast) -> None:  # type: ignore[no-untyped-def]
    _grid, lng, lat = grid_point()
    photo = upload("a.jpg", photo_bytes("JPEG", 100.0, 30.0))
    response = client_for(cast["grid"]).post(
        URL, {**multipart(), "lng": lng, "lat": lat, "photos": [photo]}, format="multipart")
    assert response.status_code == 201, response.json()
    case = Case.objects.get(pk=response.json()["id"])
    assert case.lng == pytest.approx(lng) and case.photos.get().exif_lng == pytest.approx(100.0)


def test_heic_is_accepted_and_stored_as_plain_jpeg(cast) -> None:  # type: ignore[no-untyped-def]
    grid, lng, lat = grid_point()
    pillow_heif.register_heif_opener()
    heic = photo_bytes("HEIF", lng, lat)
    assert Image.open(io.BytesIO(heic)).format == "HEIF"
    response = client_for(cast["grid"]).post(
        URL, {**multipart(), "photos": [upload("IMG_0003.HEIC", heic, "image/heic")]}, format="multipart")
    assert response.status_code == 201, response.json()
    photo = Case.objects.get(pk=response.json()["id"]).photos.get()
    assert photo.content_type == "image/jpeg" and photo.file.name.endswith(".jpg")
    assert photo.exif_lat == pytest.approx(lat, abs=1e-6)
    raw, exif = stored_exif(photo)
    assert exif == {} and raw[:3] == b"\xff\xd8\xff"


def test_fake_oversize_and_too_many_photos_are_400(cast, settings) -> None:  # type: ignore[no-untyped-def]
    client = client_for(cast["grid"])
    before = Case.objects.count()
    fake = upload("fake.jpg", "这不是图片".encode() * 50)
    response = client.post(URL, {**multipart(), "grid": grid_point()[0].code, "photos": [fake]},
                           format="multipart")
    assert response.status_code == 400 and response.json()["code"] == "photo_type"
    settings.CASE_PHOTO_MAX_BYTES = 1000
    big = upload("big.png", photo_bytes("PNG") + b"\0" * 2000, "image/png")
    response = client.post(URL, {**multipart(), "grid": grid_point()[0].code, "photos": [big]},
                           format="multipart")
    assert response.status_code == 400 and response.json()["code"] == "photo_too_large"
    settings.CASE_PHOTO_MAX_BYTES = 10 * 1024 * 1024
    settings.CASE_PHOTO_MAX_COUNT = 2
    many = [upload(f"{i}.jpg", photo_bytes("JPEG")) for i in range(3)]
    response = client.post(URL, {**multipart(), "grid": grid_point()[0].code, "photos": many},
                           format="multipart")
    assert response.status_code == 400 and response.json()["code"] == "too_many_photos"
    assert Case.objects.count() == before


def test_too_large_bodies_are_413_in_our_format(cast, settings) -> None:  # type: ignore[no-untyped-def]
    client = client_for(cast["grid"])
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    response = client.post(URL, body(description="很长" * 2000), format="json")
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large" and response.json()["message"]
    settings.CASE_PHOTO_MAX_BYTES, settings.CASE_PHOTO_MAX_COUNT = 1024, 1
    photo = upload("a.png", photo_bytes("PNG") + b"\0" * 8000, "image/png")
    response = client.post(URL, {**multipart(), "photos": [photo]}, format="multipart")
    assert response.status_code == 413 and response.json()["code"] == "payload_too_large"


def test_photos_download_only_for_those_who_see_the_case(cast, client) -> None:  # type: ignore[no-untyped-def]
    case = make_case(cast["grid"])
    from civicgrid.cases import services

    services.register(actor=cast["street"], case_id=case.pk)
    services.dispatch(actor=cast["street"], case_id=case.pk)
    services.sign(actor=cast["dept"], case_id=case.pk)
    dept = client_for(cast["dept"])
    result = upload("done.jpg", photo_bytes("JPEG", 106.0, 39.0))
    response = dept.post(f"{URL}{case.pk}/handle/", {"result": "已清运", "photos": [result]},
                         format="multipart")
    assert response.status_code == 200, response.json()
    photo = case.photos.get()
    assert photo.kind == "result"
    url = response.json()["photos"][0]["url"]
    assert url.endswith(f"{URL}{case.pk}/photos/{photo.pk}/")
    path = url[url.index("/api/"):]
    download = client_for(cast["grid"]).get(path, HTTP_ACCEPT="image/*")
    assert download.status_code == 200 and download["Content-Type"] == "image/jpeg"
    assert b"".join(download.streaming_content)[:3] == b"\xff\xd8\xff"
    outsider = client_for(cast["hotline"])
    make_case(cast["hotline"], prefix="640202002")
    other_grid = client_for(cast["head"])  # same grid: sees it
    assert other_grid.get(path).status_code == 200
    resident = client_for(cast["resident"]).get(path)
    assert resident.status_code == 404 and resident.json()["code"] == "case_not_found"
    assert outsider.get(f"{URL}{case.pk}/photos/999999/").status_code == 404
    # media is never served as a public file
    client.force_login(cast["grid"])
    assert client.get(f"/media/{photo.file.name}").status_code == 404

"""佐证材料: a progress report and a completion request carry photos, .docx and PDF files, cleaned like every upload
(core/attachments.py) and stored under their SHA-256; a bad file refuses the whole action with the reason and
saves nothing; a file is downloaded by whoever may see its item, and by no one else."""

import hashlib
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from tests.complaints.test_portal_attachments import CANARY, docx_with_author, jpeg_with_exif
from tests.conftest import make_user
from xiaoneng.supervision import evidence, services
from xiaoneng.supervision.models import ProgressReport, ReportFile


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def signed(world):
    sup = services.issue(
        actor=world.users["supervisor"],
        title="老旧小区改造",
        source="meeting",
        lead_unit=world.ua,
        co_units=[world.ua2],
        limit="20wd",
    )
    return services.act(sup, "sign", world.users["liaison"], data={})


def pdf() -> bytes:
    from pypdf import PdfWriter

    w = PdfWriter()
    w.add_blank_page(200, 200)
    w.add_metadata({"/Author": CANARY})
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


def upload(name, data, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def post(client, sup, action, **fields):
    return client.post(f"/supervision/{sup.pk}/", {"action": action, **fields})


@pytest.mark.django_db
def test_a_report_on_the_page_carries_photos_docx_and_pdf_cleaned(world, signed):
    resp = post(
        world.client("liaison"),
        signed,
        "report",
        text="完成外墙改造",
        files=[
            upload("C:\\现场\\外墙.jpg", jpeg_with_exif(), "image/jpeg"),
            upload("方案.docx", docx_with_author()),
            upload("验收.pdf", pdf(), "application/pdf"),
        ],
    )
    assert resp.status_code == 302
    report = ProgressReport.objects.get(item=signed)
    files = list(report.files.all())
    assert [f.name for f in files] == ["外墙.jpg", "方案.docx", "验收.pdf"]
    for f in files:
        data = f.file.read()
        assert CANARY.encode() not in data  # EXIF, document properties and PDF info are gone
        assert f.sha256 == hashlib.sha256(data).hexdigest() and f.size == len(data)
        assert f.file.name.endswith(f"{f.sha256}.{f.name.rsplit('.', 1)[1]}")  # stored under its content
    with Image.open(files[0].file.open("rb")) as im:
        assert im.size == (30, 40)  # turned upright by its orientation before the tag was dropped
    page = world.client("supervisor").get(f"/supervision/{signed.pk}/").content.decode()
    assert f'href="/supervision/files/{files[0].pk}/"' in page and "外墙.jpg" in page


@pytest.mark.django_db
def test_a_completion_request_carries_its_evidence_through_the_api(world, signed):
    resp = world.client("liaison").post(
        f"/api/supervision/items/{signed.pk}/request-completion/",
        {"text": "已完成", "files": [upload("验收报告.pdf", pdf(), "application/pdf")]},
    )
    assert resp.status_code == 200, resp.content
    assert resp.json()["work_item"]["state"] == "unit_review"
    reports = world.client("unit_leader").get(f"/api/supervision/items/{signed.pk}/reports/").json()
    assert reports[0]["is_completion"] and [f["name"] for f in reports[0]["files"]] == ["验收报告.pdf"]
    got = world.client("unit_leader").get(reports[0]["files"][0]["url"])
    assert got.status_code == 200 and got["Content-Type"] == "application/pdf"
    assert b"".join(got.streaming_content).startswith(b"%PDF")


@pytest.mark.django_db
def test_a_bad_file_refuses_the_whole_report_and_saves_nothing(world, signed):
    c = world.client("liaison")
    resp = post(
        c,
        signed,
        "report",
        text="附件有问题的进展",
        files=[upload("a.jpg", jpeg_with_exif(), "image/jpeg"), upload("run.exe", b"MZ\x90\x00" * 10)],
    )
    assert resp.status_code == 400
    body = resp.content.decode()
    assert "第 2 个附件" in body and "only photos, .docx and PDF files are accepted" in body
    assert "附件有问题的进展" in body  # what was typed is kept
    assert not ProgressReport.objects.exists() and not ReportFile.objects.exists()
    signed.work_item.refresh_from_db()
    assert signed.work_item.version == 2  # nothing happened


@pytest.mark.django_db
def test_limits_on_count_and_size(world, signed, settings):
    settings.XIAONENG_ATTACHMENT_MAX_FILES = 2
    resp = post(
        world.client("liaison"),
        signed,
        "report",
        text="三张照片",
        files=[upload(f"{i}.jpg", jpeg_with_exif(), "image/jpeg") for i in range(3)],
    )
    assert resp.status_code == 400 and "最多上传 2 个附件" in resp.content.decode()
    settings.XIAONENG_ATTACHMENT_MAX_BYTES = 100
    api = world.client("liaison").post(
        f"/api/supervision/items/{signed.pk}/report/",
        {"text": "大文件", "files": [upload("big.jpg", jpeg_with_exif(), "image/jpeg")]},
    )
    assert api.status_code == 400 and api.json()["code"] == "file_refused"
    assert "a file is too large" in api.json()["detail"]
    assert not ReportFile.objects.exists()


@pytest.mark.django_db
def test_files_go_only_with_a_report_or_a_completion_request(world, signed):
    from xiaoneng.core.workflow import TransitionRefused

    files = evidence.clean_uploads([upload("a.jpg", jpeg_with_exif())])
    with pytest.raises(TransitionRefused) as exc:
        services.act(signed, "remind", world.users["supervisor"], data={}, files=files)
    assert exc.value.code == "files_not_allowed"


@pytest.mark.django_db
def test_the_same_file_twice_is_stored_once(world, signed):
    data = jpeg_with_exif()
    for text in ("第一次", "第二次"):
        services.act(
            signed,
            "report",
            world.users["liaison"],
            data={"text": text},
            files=evidence.clean_uploads([upload("同一张.jpg", data)]),
        )
    paths = set(ReportFile.objects.values_list("file", flat=True))
    assert ReportFile.objects.count() == 2 and len(paths) == 1


@pytest.mark.django_db
def test_a_file_is_visible_exactly_when_its_item_is(world, signed):
    services.act(
        signed,
        "report",
        world.users["liaison"],
        data={"text": "进展"},
        files=evidence.clean_uploads([upload("现场.jpg", jpeg_with_exif())]),
    )
    f = ReportFile.objects.get()
    url = f"/supervision/files/{f.pk}/"
    co_unit = Client()
    co_unit.force_login(make_user("a2_liaison", "liaison", world.ua2))
    assert co_unit.get(url).status_code == 200  # a co-unit sees the item, so its files
    outsider = Client()
    outsider.force_login(make_user("b_liaison", "liaison", world.ub))
    assert outsider.get(url).status_code == 404  # like a missing file
    assert outsider.get("/supervision/files/987654321/").status_code == 404
    assert world.client("auditor").get(url).status_code in (403, 404)


def test_display_names_lose_paths_and_take_the_cleaned_type():
    assert evidence.display_name("C:\\Users\\张三\\照片.JPG", "jpg") == "照片.jpg"
    assert evidence.display_name("../../etc/passwd", "pdf") == "passwd.pdf"
    assert evidence.display_name("", "docx") == "file.docx"
    assert evidence.display_name('a"b;c.pdf', "pdf") == "abc.pdf"

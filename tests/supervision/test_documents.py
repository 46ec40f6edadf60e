"""督办通知单 and 催办单 from an item: numbered per issuing unit, year and series without gaps, the file handed
out kept and served again byte for byte, readable by python-docx, convertible to PDF by LibreOffice; visible to the
units the item concerns and to nobody else."""

import io
import os
import shutil

import docx
import pytest
import time_machine

from tests.conftest import at, make_user
from xiaoneng.core.models import IssuedDocument
from xiaoneng.supervision import services
from xiaoneng.supervision.documents import prefix


@pytest.fixture
def item(world):
    with time_machine.travel(at("2026-03-02 09:00"), tick=False):
        return services.issue(
            actor=world.city_supervisor,
            title="压缩企业开办时间",
            source="meeting",
            lead_unit=world.ua,
            co_units=[world.ua2],
            limit="10wd",
            reference_no="青政办〔2026〕12号",
        )


def text_of(data: bytes) -> str:
    d = docx.Document(io.BytesIO(data))
    parts = [p.text for p in d.paragraphs]
    for t in d.tables:
        for row in t.rows:
            parts.extend(c.text for c in row.cells)
    return "\n".join(parts)


def test_prefix_from_the_issuing_office(world):
    assert prefix(world.uc, "效督") == "青效督"
    from xiaoneng.org.models import Unit

    assert prefix(Unit(name="x", region=world.a), "效催") == "东湖效催"


@pytest.mark.django_db
def test_supervisor_issues_a_numbered_notice_from_the_item_page(world, item):
    c = world.client("city_supervisor")
    r = c.post(f"/supervision/{item.pk}/notice/")
    assert r.status_code == 302
    doc = IssuedDocument.objects.get()
    year = doc.year
    assert doc.number == f"青效督〔{year}〕1号" and doc.kind == "督办通知单" and doc.issuer == world.uc
    page = c.get(f"/supervision/{item.pk}/").content.decode()
    assert f"青效督〔{year}〕1号" in page
    r = c.get(f"/supervision/{item.pk}/documents/{doc.pk}.docx")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    data = b"".join(r.streaming_content) if r.streaming else r.content
    import hashlib

    assert hashlib.sha256(data).hexdigest() == doc.sha256  # the very file issued
    text = text_of(data)
    assert "关于压缩企业开办时间的督办通知" in text
    assert "东湖区住建局" in text and "青政办〔2026〕12号" in text
    assert "2026年3月16日24时" in text  # the deadline as the clock gives it
    assert "东湖区市场监管局" in text  # co-unit in 抄送 and in the form


@pytest.mark.django_db
def test_reminders_issue_催办单_and_the_second_goes_to_the_head(world, item):
    from xiaoneng.core.models import WorkItem

    sup_client = world.client("city_supervisor")
    for _n in (1, 2):
        wi = WorkItem.objects.get(pk=item.pk)
        r = sup_client.post(
            f"/supervision/{item.pk}/", {"action": "remind", "note": "请本周内报送", "version": wi.version}
        )
        assert r.status_code == 302
    docs = list(IssuedDocument.objects.order_by("seq"))
    assert [d.number for d in docs] == [f"青效催〔{docs[0].year}〕1号", f"青效催〔{docs[0].year}〕2号"]
    second = text_of(sup_client.get(f"/supervision/{item.pk}/documents/{docs[1].pk}.docx").content)
    assert "第2次催办" in second and "东湖区住建局主要负责人" in second and "请本周内报送" in second
    # The notice series counts on its own.
    sup_client.post(f"/supervision/{item.pk}/notice/")
    assert IssuedDocument.objects.filter(kind="督办通知单").get().seq == 1


@pytest.mark.django_db
def test_the_units_concerned_download_others_do_not(world, item):
    world.client("city_supervisor").post(f"/supervision/{item.pk}/notice/")
    doc = IssuedDocument.objects.get()
    url = f"/supervision/{item.pk}/documents/{doc.pk}.docx"
    assert world.client("liaison").get(url).status_code == 200  # lead unit
    co = make_user("a2_liaison", "liaison", world.ua2)
    c = world.client(None)
    c.force_login(co)
    assert c.get(url).status_code == 200  # co-unit
    outsider = make_user("b_liaison", "liaison", world.ub)
    c.force_login(outsider)
    assert c.get(url).status_code == 404
    assert world.client("liaison").post(f"/supervision/{item.pk}/notice/").status_code == 403
    assert world.client("auditor").get(url).status_code in (403, 404)
    # A document of another item is not served under this item's URL.
    other = services.issue(
        actor=world.city_supervisor, title="另一事项", source="meeting", lead_unit=world.ub, limit="5wd"
    )
    world.client("city_supervisor").post(f"/supervision/{other.pk}/notice/")
    other_doc = IssuedDocument.objects.exclude(pk=doc.pk).get()
    assert (
        world.client("liaison").get(f"/supervision/{item.pk}/documents/{other_doc.pk}.docx").status_code
        == 404
    )


@pytest.mark.django_db
def test_notice_as_pdf(world, item):
    if shutil.which("soffice") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true: LibreOffice (soffice) is required to convert documents to PDF")
        pytest.skip("LibreOffice (soffice) is not installed")
    c = world.client("city_supervisor")
    c.post(f"/supervision/{item.pk}/notice/")
    doc = IssuedDocument.objects.get()
    r = c.get(f"/supervision/{item.pk}/documents/{doc.pk}.pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf" and r.content.startswith(b"%PDF")

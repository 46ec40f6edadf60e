"""Intake shared by every channel: one complaint per submission, identity encrypted, the office that receives
it, 回避 for the unit complained about, the public lookup by tracking number and query code."""

import pytest
from django.db import connection

from xiaoneng.complaints import services
from xiaoneng.complaints.models import Complaint
from xiaoneng.core import scope
from xiaoneng.core.models import WorkItem
from xiaoneng.core.workflow import TransitionRefused

MARK = "王举报"


def submit(world, category, **kw):
    defaults = dict(
        channel="web",
        category=category,
        subject_unit=world.ua,
        content="窗口人员上班时间玩手机，让我等了两个小时。",
        name=MARK,
        phone="13700001111",
        id_number="110101199001011234",
        email="wangjubao@example.cn",
        ip="203.0.113.7",
    )
    defaults.update(kw)
    return services.submit(**defaults)


def test_submit_registers_a_complaint_with_the_district_office(world, office, category):
    c, code, created = submit(world, category)
    assert created and len(code) == services.QUERY_CODE_LENGTH
    assert c.tracking_no.startswith("TS") and len(c.tracking_no) == 16
    wi = c.work_item
    assert wi.kind == "complaint" and wi.state == "received" and wi.owner_unit == office
    assert wi.limit == "1wd" and wi.deadline is not None
    assert MARK not in wi.title and "东湖区住建局" in wi.title


def test_identity_is_encrypted_at_rest_and_masked(world, office, category):
    c, _code, _created = submit(world, category)
    with connection.cursor() as cur:
        cur.execute(
            "select identity_name, identity_phone, identity_id_number, identity_email, identity_ip "
            "from complaints_complaint where work_item_id = %s",
            [c.pk],
        )
        row = cur.fetchone()
    for value in row:
        assert value.startswith("sm4gcm:")
    assert "王举报" not in str(row) and "13700001111" not in str(row)
    again = Complaint.objects.get(pk=c.pk)
    assert again.identity_name == MARK
    assert again.identity_masked == {
        "name": "王**",
        "phone": "137****1111",
        "id_number": "110***********1234",
        "email": "w********@example.cn",
    }


def test_anonymous_keeps_no_name_or_id(world, office, category):
    c, _code, _created = submit(world, category, anonymous=True)
    assert c.identity_name == "" and c.identity_id_number == ""
    assert c.identity_phone == "13700001111"  # the one contact channel stays, for the reply


def test_named_complaint_needs_a_contact(world, office, category):
    with pytest.raises(TransitionRefused) as e:
        submit(world, category, phone="", email="")
    assert e.value.code == "contact_required"
    assert not Complaint.objects.exists() and not WorkItem.objects.exists()


def test_bad_phone_and_empty_content_change_nothing(world, office, category):
    for kw, code in (({"phone": "12ab"}, "bad_phone"), ({"content": "  "}, "content_required")):
        with pytest.raises(TransitionRefused) as e:
            submit(world, category, **kw)
        assert e.value.code == code
    assert not Complaint.objects.exists()


def test_same_idempotency_key_gives_the_same_complaint(world, office, category):
    first, code, created = submit(world, category, idempotency_key="k-1")
    again, code2, created2 = submit(world, category, idempotency_key="k-1")
    assert created and not created2 and again.pk == first.pk and code2 is None
    assert Complaint.objects.count() == 1


def test_the_city_office_takes_complaints_where_no_district_office_exists(world, office, category):
    c, _code, _created = submit(world, category, subject_unit=world.ub)
    assert c.work_item.owner_unit == world.uc


def test_no_receiving_office_is_a_clear_refusal(world, category):
    with pytest.raises(TransitionRefused) as e:
        submit(world, category)
    assert e.value.code == "no_receiving_office"


def test_lookup_needs_the_query_code(world, office, category):
    c, code, _created = submit(world, category)
    assert services.find_by_tracking(c.tracking_no, code).pk == c.pk
    assert services.find_by_tracking(c.tracking_no.lower(), code.lower()).pk == c.pk
    assert services.find_by_tracking(c.tracking_no, "WRONG123") is None
    assert services.find_by_tracking("TS00000000000000", code) is None


def test_staff_of_the_unit_complained_about_are_recused(world, office, category):
    """A supervisor in the complained-about unit (and the official named) cannot see it; others can."""
    c, _code, _created = submit(world, category, subject_person=world.pa)
    in_unit = world.users["supervisor"]  # a supervisor account in 东湖区住建局, the unit complained about
    assert not scope.restrict(Complaint, in_unit).filter(pk=c.pk).exists()
    assert not scope.restrict(WorkItem, in_unit).filter(pk=c.pk).exists()
    assert scope.restrict(Complaint, world.city_supervisor).filter(pk=c.pk).exists()
    # The unit's liaison does not see it before it is assigned to the unit.
    assert not scope.restrict(Complaint, world.users["liaison"]).filter(pk=c.pk).exists()

"""The role × endpoint matrix, generated from the URL configuration: every pattern, every role, objects in and
out of scope. A new endpoint is covered the moment it is routed; one with a path parameter this file cannot map
to a model fails until it is registered in MODEL_FOR_VIEW."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.accountability import matrix as accountability
from tests.conftest import make_user
from tests.eservice import scope_matrix as eservice
from tests.supervision import scope_matrix as supervision_matrix
from xiaoneng.complaints import services as complaints
from xiaoneng.complaints.models import Attachment, Category, Complaint
from xiaoneng.core import notify, workitem
from xiaoneng.core.models import AuditEvent, Notification, WorkItem
from xiaoneng.org.models import Person, Region, Unit, User
from xiaoneng.org.roles import Role
from xiaoneng.supervision import services as supervision
from xiaoneng.supervision.models import SupervisedItem

# Views anyone may open without logging in. Everything else must send the anonymous visitor to the login page
# (pages) or answer 401/403 (API).
PUBLIC = {
    "login",
    "logout",
    "healthz",
    "set_language",
    # 效能投诉's public side: the portal and the Open311 GeoReport v2 API (complaints/portal.py, open311.py).
    "portal_index",
    "portal_submit",
    "portal_submit_done",
    "portal_track",
    "portal_rate",
    "portal_wall",
    "portal_units",
    "portal_large_type",
    "open311_services",
    "open311_service_definition",
    "open311_requests",
    "open311_request",
    "open311_token",
    # 曝光台 of 问责 on the portal (accountability/portal_urls.py): published cases only.
    "portal_exposure",
    # 政务服务好差评 on the portal.
    *eservice.PUBLIC,
}

# Web views with a path parameter, and the model it names (API viewsets declare `.model` themselves).
MODEL_FOR_VIEW = {
    "item_detail": WorkItem,
    "supervision_item": SupervisedItem,
    "supervision_decompose": SupervisedItem,
    "supervision_board": SupervisedItem,
    "supervision_notice": SupervisedItem,
    "supervision_document": SupervisedItem,
    "unit_detail": Unit,
    "person_reveal": Person,
    "complaint_detail": Complaint,
    "complaint_assign": Complaint,
    "complaint_redaction_check": Complaint,
    "complaint_reveal": Complaint,
    "complaint_attachment": Attachment,
    **eservice.MODEL_FOR_VIEW,
    **accountability.MODEL_FOR_VIEW,
    **supervision_matrix.MODEL_FOR_VIEW,
}

# Where an object outside county A is nevertheless in scope, by design.
SEES_ALL = {
    Region: {Role.SYSADMIN, Role.SECADMIN},
    Unit: {Role.SYSADMIN, Role.SECADMIN},
    Person: {Role.SYSADMIN, Role.SECADMIN},
    User: {Role.SECADMIN},
    AuditEvent: {Role.AUDITOR},
}

# Text that only objects outside county A carry: no list may show it to an account that should not see it.
OUT_MARKERS = {
    Region: "西山区",
    Unit: "西山区住建局",
    Person: "李西山",
    User: "b_liaison",
    WorkItem: "西山区的事项",
    Notification: "给别人的消息",
    SupervisedItem: "西山区的督办事项",
    Complaint: "TS20260101XISHAN",
    Attachment: "西山区投诉附件",
    **eservice.OUT_MARKERS,
    **accountability.OUT_MARKERS,
    **supervision_matrix.OUT_MARKERS,
}


def walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield p


def endpoints():
    out = []
    for p in walk(get_resolver().url_patterns):
        if not p.name:
            continue
        params = set(p.pattern.regex.groupindex)
        view_cls = getattr(p.callback, "cls", None)
        model = getattr(view_cls, "model", None) or MODEL_FOR_VIEW.get(p.name)
        actions = getattr(p.callback, "actions", None) or {}
        methods = sorted({m.upper() for m in actions}) or ["GET", "POST"]
        out.append((p.name, params, model, methods))
    return out


ENDPOINTS = endpoints()


def url_for(name, params, pk=None):
    kwargs = {}
    for param in params:
        if param == "pk":
            kwargs["pk"] = pk
        elif param == "format":
            kwargs["format"] = "json"
        elif param == "transition":
            kwargs["transition"] = "sign"
        elif param == "year":
            kwargs["year"] = 2026
        elif param == "doc":
            kwargs["doc"] = 1
        elif param == "fmt":
            kwargs["fmt"] = "docx"
        else:
            raise AssertionError(
                f"URL {name} has a parameter {param!r} the scope matrix cannot fill; teach it"
            )
    return reverse(name, kwargs=kwargs)


def complaint_objects(world, settings, tmp_path):
    """A complaint about 东湖区市场监管局 received by 东湖区效能办, accepted by the city office and assigned to
    东湖区住建局 (so county A's staff and the unit's liaison and head see it); one about 西山区住建局 received
    by the city office, which county A does not see. Each with an attachment (released with the copy in A)."""
    from django.core.files.base import ContentFile

    from xiaoneng.org.models import UnitType

    settings.MEDIA_ROOT = str(tmp_path)
    world.uc.handles_complaints = True
    world.uc.save()
    Unit.objects.create(
        code="990102-XNB",
        name="东湖区效能办",
        type=UnitType.GOVERNMENT,
        region=world.a,
        handles_complaints=True,
    )
    category = Category.objects.get(code="delay")
    made = []
    for unit, content in ((world.ua2, "东湖区的投诉"), (world.ub, "西山区的投诉")):
        c, _code, _new = complaints.submit(
            channel="hotline",
            category=category,
            subject_unit=unit,
            content=content,
            anonymous=True,
            phone="13700000000",
        )
        a = Attachment(
            complaint=c, name=f"{content[:3]}投诉附件.jpg", content_type="image/jpeg", size=1, sha256="0"
        )
        a.file.save("x.jpg", ContentFile(b"x"), save=True)
        made.append((c, a))
    (ca, aa), (cb, ab) = made
    Complaint.objects.filter(pk=cb.pk).update(tracking_no=OUT_MARKERS[Complaint])
    complaints.accept(world.city_supervisor, ca)
    complaints.assign(
        world.city_supervisor, ca, unit=world.ua, redacted_content="转办件", attachments=[aa.pk]
    )
    return {Complaint: (ca, cb), Attachment: (aa, ab)}


@pytest.fixture
def objects(world, task_kind, settings, tmp_path):
    """One object per scoped model inside county A and one outside (in B)."""
    outsider = make_user(
        "b_liaison", Role.LIAISON, world.ub, Person.objects.create(name="外区联络员", unit=world.ub)
    )
    ia = workitem.create(
        kind="test_task", actor=world.users["supervisor"], title="东湖区的事项", owner_unit=world.ua
    )
    ib = workitem.create(
        kind="test_task", actor=world.city_supervisor, title="西山区的事项", owner_unit=world.ub
    )
    events = list(AuditEvent.objects.order_by("id")[:2])
    mine = {}
    for role, user in world.users.items():
        mine[role] = notify.notify(user, "hello", "你好")
    other = notify.notify(outsider, "other", "给别人的消息")
    sa = supervision.issue(
        actor=world.users["supervisor"], title="东湖区的督办事项", source="meeting", lead_unit=world.ua
    )
    sb = supervision.issue(
        actor=world.city_supervisor, title="西山区的督办事项", source="meeting", lead_unit=world.ub
    )
    return {
        Region: (world.a, world.b),
        Unit: (world.ua, world.ub),
        Person: (world.pa, world.pb),
        User: (None, outsider),
        WorkItem: (ia, ib),
        AuditEvent: (events[0], events[1]),
        Notification: (mine, other),
        SupervisedItem: (sa, sb),
        **complaint_objects(world, settings, tmp_path),
        **eservice.objects(world),
        **accountability.objects(world),
        **supervision_matrix.objects(world, sa, sb, outsider),
    }


def test_every_endpoint_is_mapped():
    for name, params, model, _methods in ENDPOINTS:
        if "pk" in params:
            assert model is not None, f"{name}: add its model to MODEL_FOR_VIEW so the scope matrix covers it"


@pytest.mark.django_db
@pytest.mark.parametrize("name,params,model,methods", ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
def test_anonymous_gets_nothing_unless_allowlisted(name, params, model, methods, world, client):
    if name in PUBLIC:
        return
    url = url_for(name, params, pk=world.ua.pk if model is not Person else world.pa.pk)
    for method in methods:
        if method not in ("GET", "POST"):
            continue
        resp = client.generic(method, url)
        if url.startswith("/api/"):
            assert resp.status_code in (401, 403), f"anonymous {method} {url} answered {resp.status_code}"
        else:
            assert resp.status_code == 302 and "/login/" in resp["Location"], (
                f"anonymous {method} {url} answered {resp.status_code}: a public view must be on the PUBLIC allowlist"
            )


ROLES = sorted(Role.values)
DETAIL = [e for e in ENDPOINTS if "pk" in e[1]]
LISTS = [e for e in ENDPOINTS if "pk" not in e[1] and e[0] not in PUBLIC and e[0] not in ("logout",)]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_out_of_scope_objects_answer_like_missing_ones(role, world, objects):
    """For every object endpoint: an object outside the account's scope gets exactly the answer a missing id
    gets (never 2xx), for every method the endpoint takes."""
    client = world.client(role)
    checked = 0
    for name, params, model, methods in DETAIL:
        if role in SEES_ALL.get(model, set()):
            continue
        outside = objects[model][1]
        for method in methods:
            if method not in ("GET", "POST"):
                continue
            r_out = client.generic(method, url_for(name, params, pk=outside.pk))
            r_missing = client.generic(method, url_for(name, params, pk=987654321))
            assert r_out.status_code == r_missing.status_code, (
                f"{role} {method} {name}: out-of-scope answered {r_out.status_code}, missing answered {r_missing.status_code}"
            )
            assert r_out.status_code >= 400, f"{role} {method} {name} reached an object outside its scope"
            assert OUT_MARKERS.get(model, "\0") not in r_out.content.decode(errors="ignore")
            checked += 1
    assert checked > 0


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_lists_never_show_out_of_scope_objects(role, world, objects):
    client = world.client(role)
    for name, params, _model, methods in LISTS:
        if "GET" not in methods or params - {"format"}:
            continue
        resp = client.get(url_for(name, params))
        body = resp.content.decode(errors="ignore")
        for m, marker in OUT_MARKERS.items():
            if role in SEES_ALL.get(m, set()):
                continue
            assert marker not in body, f"{role} sees {marker!r} on {name}"


# What each role reaches in scope (the other half of the matrix: scope must not hide what a role needs).
REACHES = {
    "unit-detail": set(ROLES) - {Role.AUDITOR, Role.EVALUATOR},
    "person-detail": set(ROLES) - {Role.AUDITOR, Role.EVALUATOR},
    "workitem-detail": {
        Role.SUPERVISOR,
        Role.DISCIPLINE,
        Role.LEADER,
        Role.NPC,
        Role.LIAISON,
        Role.UNIT_LEADER,
    },
    "item_detail": {Role.SUPERVISOR, Role.DISCIPLINE, Role.LEADER, Role.NPC, Role.LIAISON, Role.UNIT_LEADER},
    "unit_detail": set(ROLES) - {Role.AUDITOR, Role.EVALUATOR},
    "supervision-item-detail": {
        Role.SUPERVISOR,
        Role.DISCIPLINE,
        Role.LEADER,
        Role.NPC,
        Role.LIAISON,
        Role.UNIT_LEADER,
    },
    "supervision_item": {
        Role.SUPERVISOR,
        Role.DISCIPLINE,
        Role.LEADER,
        Role.NPC,
        Role.LIAISON,
        Role.UNIT_LEADER,
    },
    "complaint-detail": {
        Role.SUPERVISOR,
        Role.DISCIPLINE,
        Role.LEADER,
        Role.NPC,
        Role.LIAISON,
        Role.UNIT_LEADER,
    },
    "complaint_detail": {
        Role.SUPERVISOR,
        Role.DISCIPLINE,
        Role.LEADER,
        Role.NPC,
        Role.LIAISON,
        Role.UNIT_LEADER,
    },
    "complaint_attachment": {
        Role.SUPERVISOR,
        Role.DISCIPLINE,
        Role.LEADER,
        Role.NPC,
        Role.LIAISON,
        Role.UNIT_LEADER,
    },
    **eservice.REACHES,
    **accountability.REACHES,
    **supervision_matrix.REACHES,
}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_in_scope_objects_are_reachable(role, world, objects):
    client = world.client(role)
    for name, allowed in REACHES.items():
        model = next(e[2] for e in ENDPOINTS if e[0] == name)
        inside = objects[model][0]
        resp = client.get(reverse(name, kwargs={"pk": inside.pk}))
        if role in allowed:
            assert resp.status_code == 200, f"{role} cannot open {name} in its own scope ({resp.status_code})"
        else:
            assert resp.status_code in (403, 404), f"{role} opened {name} ({resp.status_code})"


@pytest.mark.django_db
def test_reaching_for_an_out_of_scope_object_is_audited_but_a_missing_one_is_not(world, objects):
    from xiaoneng.core.audit import AuditEventType

    client = world.client("liaison")
    before = AuditEvent.objects.filter(event_type=AuditEventType.ACCESS_DENIED).count()
    assert client.get(f"/api/units/{world.ub.pk}/").status_code == 404
    assert client.get("/api/units/987654321/").status_code == 404
    denials = AuditEvent.objects.filter(event_type=AuditEventType.ACCESS_DENIED).order_by("id")[before:]
    assert [(d.object_type, d.object_id, d.actor_name) for d in denials] == [
        ("org.unit", str(world.ub.pk), "a_liaison")
    ]

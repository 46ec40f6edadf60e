"""The public portal, as a citizen walks it: open the form, submit (the proof of work solved as the page's script
would), get a tracking number and a query code, track, rate; and what the public must never see."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache

from xiaoneng.complaints import challenge, intake, services
from xiaoneng.complaints.models import Complaint, IntakeRequest
from xiaoneng.core import workitem
from xiaoneng.core.models import WorkItem

MARK = "王举报人"
PHONE = "13700009999"


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()  # rate-limit counters and confirmations live in the (local-memory) cache
    yield
    cache.clear()


def form_tokens(client) -> dict:
    html = client.get("/portal/submit/").content.decode()
    key = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', html)[1]
    pow_challenge = re.search(r'name="pow_challenge" value="([^"]+)"', html)[1]
    return {
        "idempotency_key": key,
        "pow_challenge": pow_challenge,
        "pow_nonce": challenge.solve(pow_challenge),
    }


def complaint_data(world, category, **kw) -> dict:
    data = {
        "category": str(category.pk),
        "unit": world.ua.code,
        "unit_query": world.ua.name,
        "person": "3号窗口",
        "content": "窗口人员上班时间玩手机，让群众排队等了两个小时。",
        "anonymous": "0",
        "name": MARK,
        "contact_kind": "phone",
        "contact": PHONE,
    }
    data.update(kw)
    return data


def post_complaint(client, world, category, **kw):
    data = complaint_data(world, category, **kw)
    data.update({k: v for k, v in form_tokens(client).items() if k not in kw})
    return client.post("/portal/submit/", data), data


def submitted(client, resp) -> tuple[str, str]:
    """The confirmation the citizen reads at once; then the registration worker's run, which production enqueues
    after the submission's commit (a test's transaction never commits). See test_intake_queue.py for the
    moments in between."""
    assert resp.status_code == 302, resp.content.decode()[:2000]
    html = client.get(resp["Location"]).content.decode()
    tracking = re.search(r'data-testid="tracking-no">([A-Z0-9]+)<', html)[1]
    code = re.search(r'data-testid="query-code">([A-Z0-9]+)<', html)[1]
    intake.register_pending()
    return tracking, code


def test_the_form_renders_for_anyone(world, category, client):
    resp = client.get("/portal/submit/")
    html = resp.content.decode()
    assert resp.status_code == 200
    assert category.name in html and 'name="pow_challenge"' in html and 'name="idempotency_key"' in html
    for field in ("id_category", "id_unit_query", "id_content", "id_name", "id_contact"):
        assert f'for="{field}"' in html, field  # every input has its label


def test_a_citizen_submits_and_gets_a_tracking_number_and_query_code(world, office, category, client):
    resp, _data = post_complaint(client, world, category)
    tracking, code = submitted(client, resp)
    c = Complaint.objects.get(tracking_no=tracking)
    assert c.channel == "web" and c.subject_unit == world.ua and c.identity_name == MARK
    assert c.identity_phone == PHONE and c.identity_ip == "127.0.0.1"
    assert c.subject_person_text == "3号窗口"
    assert services.find_by_tracking(tracking, code).pk == c.pk


def test_a_double_click_or_retry_makes_one_complaint_and_both_answers_show_the_code(
    world, office, category, client
):
    resp1, data = post_complaint(client, world, category)
    resp2 = client.post("/portal/submit/", data)  # the same form again: same idempotency key
    assert IntakeRequest.objects.count() == 1
    assert submitted(client, resp1) == submitted(client, resp2)
    assert Complaint.objects.count() == 1


def test_a_new_form_render_is_a_new_submission(world, office, category, client):
    submitted(client, post_complaint(client, world, category)[0])
    submitted(client, post_complaint(client, world, category)[0])
    assert Complaint.objects.count() == 2


def test_without_the_proof_of_work_nothing_is_created(world, office, category, client):
    resp, _data = post_complaint(client, world, category, pow_nonce="")
    assert resp.status_code == 400 and "安全校验" in resp.content.decode()
    assert not Complaint.objects.exists() and not IntakeRequest.objects.exists()


def test_a_solved_challenge_cannot_be_reused_for_another_submission(world, office, category, client):
    tokens = form_tokens(client)
    other = form_tokens(client)["idempotency_key"]
    data = complaint_data(world, category, **tokens)
    data["idempotency_key"] = other  # the challenge was signed for another form
    resp = client.post("/portal/submit/", data)
    assert resp.status_code == 400 and not Complaint.objects.exists()


def test_an_expired_challenge_is_refused(world, settings):
    key = "a" * 32
    old = challenge.issue(key, now=1_000_000)
    assert challenge.verify(old, challenge.solve(old), key) == "expired"
    fresh = challenge.issue(key)
    assert challenge.verify(fresh, challenge.solve(fresh), key) is None
    settings.XIAONENG_PORTAL_POW_BITS = 12  # raising the difficulty retires easier challenges
    assert challenge.verify(fresh, challenge.solve(fresh), key) == "invalid"


def test_the_form_keeps_what_was_typed_and_says_what_is_wrong(world, office, category, client):
    resp, _data = post_complaint(client, world, category, name="", contact="")
    html = resp.content.decode()
    assert resp.status_code == 400
    assert "实名投诉请填写姓名" in html and "实名投诉请留一种联系方式" in html
    assert "让群众排队等了两个小时" in html
    assert not Complaint.objects.exists()


def test_an_anonymous_complaint_needs_no_name_or_contact(world, office, category, client):
    resp, _data = post_complaint(client, world, category, anonymous="1", name=MARK, contact="")
    tracking, _code = submitted(client, resp)
    c = Complaint.objects.get(tracking_no=tracking)
    assert c.anonymous and c.identity_name == "" and c.identity_phone == ""


def test_an_e_mail_contact(world, office, category, client):
    resp, _data = post_complaint(client, world, category, contact_kind="email", contact="wang@example.cn")
    tracking, _code = submitted(client, resp)
    assert Complaint.objects.get(tracking_no=tracking).identity_email == "wang@example.cn"
    resp, _data = post_complaint(client, world, category, contact_kind="email", contact="not-mail")
    assert resp.status_code == 400 and "电子邮箱格式不正确" in resp.content.decode()


def test_the_unit_must_be_a_real_one(world, office, category, client):
    resp, _data = post_complaint(client, world, category, unit="NOPE", unit_query="不存在的局")
    assert resp.status_code == 400 and "请从搜索结果中选择被投诉单位" in resp.content.decode()
    # Typed in full without the script's list: an exact name still finds it.
    resp, _data = post_complaint(client, world, category, unit="", unit_query=world.ua.name)
    submitted(client, resp)


def test_inactive_categories_are_not_offered(world, office, category, client):
    category.active = False
    category.save()
    assert category.name not in client.get("/portal/submit/").content.decode()
    resp, _data = post_complaint(client, world, category)
    assert resp.status_code == 400 and not Complaint.objects.exists()


def test_the_confirmation_is_only_for_the_form_that_submitted(world, office, category, client):
    assert client.get("/portal/submit/done/?k=" + "b" * 32).status_code == 404
    assert client.get("/portal/submit/done/?k=nonsense").status_code == 404


# --- unit search ---------------------------------------------------------------------------------------------


def test_unit_search_returns_unit_names_only(world, client):
    html = client.get("/portal/units/", {"unit_query": "住建"}).content.decode()
    assert "东湖区住建局" in html and "西山区住建局" in html and "市场监管" not in html
    assert world.pa.name not in html and world.pa.position not in html  # no people
    assert client.get("/portal/units/", {"unit_query": ""}).content.decode().strip() == ""


# --- tracking ------------------------------------------------------------------------------------------------


def _accept_and_answer(c: Complaint, world, reply="经核查，该窗口人员已被批评教育，窗口已增设叫号屏。"):
    supervisor = world.city_supervisor
    wi = workitem.perform(c.work_item, "accept", supervisor)
    wi = workitem.perform(wi, "handle_directly", supervisor, note="内部备注：先电话了解")
    wi = workitem.perform(wi, "record_result", supervisor, data={"text": "属实"}, note="内部核查记录")

    def answer(item):
        c.public_reply = reply
        c.finding = "true"
        c.unit_reply = "内部：单位的答复"
        c.replied_at = item.updated_at if hasattr(item, "updated_at") else None
        from django.utils import timezone

        c.replied_at = timezone.now()
        c.save()

    return workitem.perform(
        wi, "review_pass", supervisor, data={"public_reply": reply, "finding": "true"}, effect=answer
    )


def test_tracking_shows_public_status_and_timeline(world, office, category, client):
    tracking, code = submitted(client, post_complaint(client, world, category)[0])
    resp = client.post("/portal/track/", {"tracking_no": tracking.lower(), "code": code.lower()})
    html = resp.content.decode()
    assert resp.status_code == 200 and "已收到，待受理" in html and "投诉已提交" in html


def test_tracking_needs_the_right_query_code(world, office, category, client):
    tracking, _code = submitted(client, post_complaint(client, world, category)[0])
    resp = client.post("/portal/track/", {"tracking_no": tracking, "code": "WRONG123"})
    assert resp.status_code == 400 and "投诉编号或查询码不正确" in resp.content.decode()
    assert tracking not in resp.content.decode().replace(f'value="{tracking}"', "")


def test_the_public_timeline_never_shows_internal_things(world, office, category, client):
    tracking, code = submitted(client, post_complaint(client, world, category)[0])
    c = Complaint.objects.get(tracking_no=tracking)
    c.redacted_content = "转办件：不该公开"
    c.handling_unit = world.ua2
    c.save()
    _accept_and_answer(c, world)
    html = client.post("/portal/track/", {"tracking_no": tracking, "code": code}).content.decode()
    assert "已答复" in html and "该窗口人员已被批评教育" in html
    for secret in (
        "内部备注",
        "内部核查记录",
        "内部：单位的答复",
        "转办件",
        world.ua2.name,
        world.city_supervisor.first_name,
        world.uc.name,
    ):
        assert secret not in html, secret


def test_a_not_accepted_complaint_shows_the_reason(world, office, category, client):
    tracking, code = submitted(client, post_complaint(client, world, category)[0])
    c = Complaint.objects.get(tracking_no=tracking)

    def why(item):
        c.not_accepted_reason = "该事项属于司法程序，请向法院反映。"
        c.save()

    workitem.perform(
        c.work_item, "reject", world.city_supervisor, data={"reason": "x"}, note="内部：不予受理", effect=why
    )
    html = client.post("/portal/track/", {"tracking_no": tracking, "code": code}).content.decode()
    assert "不予受理" in html and "该事项属于司法程序" in html and "内部：不予受理" not in html


# --- rating --------------------------------------------------------------------------------------------------


def test_the_complainant_rates_an_answered_complaint_once(world, office, category, client):
    tracking, code = submitted(client, post_complaint(client, world, category)[0])
    c = Complaint.objects.get(tracking_no=tracking)
    before = client.post("/portal/track/", {"tracking_no": tracking, "code": code}).content.decode()
    assert 'action="/portal/track/rate/"' not in before  # nothing to rate yet
    resp = client.post("/portal/track/rate/", {"tracking_no": tracking, "code": code, "rating": "satisfied"})
    assert resp.status_code == 409 and not Complaint.objects.get(pk=c.pk).rating

    _accept_and_answer(c, world)
    html = client.post("/portal/track/", {"tracking_no": tracking, "code": code}).content.decode()
    assert 'action="/portal/track/rate/"' in html
    resp = client.post(
        "/portal/track/rate/",
        {"tracking_no": tracking, "code": code, "rating": "basic", "note": "处理还算及时"},
    )
    assert resp.status_code == 200 and "感谢您的评价" in resp.content.decode()
    c.refresh_from_db()
    assert c.rating == "basic" and c.rating_note == "处理还算及时" and c.rated_at is not None
    wi = WorkItem.objects.get(pk=c.pk)
    assert wi.state == "answered" and wi.timeline.filter(action="rate_public").count() == 1
    assert "处理还算及时" not in "".join(wi.timeline.values_list("note", flat=True))

    again = client.post(
        "/portal/track/rate/", {"tracking_no": tracking, "code": code, "rating": "dissatisfied"}
    )
    assert again.status_code == 409 and "已评价" in again.content.decode()
    c.refresh_from_db()
    assert c.rating == "basic"


def test_rating_needs_the_query_code(world, office, category, client):
    tracking, _code = submitted(client, post_complaint(client, world, category)[0])
    resp = client.post(
        "/portal/track/rate/", {"tracking_no": tracking, "code": "WRONG123", "rating": "satisfied"}
    )
    assert resp.status_code == 400


def test_staff_cannot_use_the_public_transition(world, office, category):
    c, _code, _created = services.submit(
        channel="web", category=category, subject_unit=world.ua, content="内容内容内容", anonymous=True
    )
    from xiaoneng.complaints.workflow import WORKFLOW

    names = [t.name for t in WORKFLOW.available(c.work_item, world.city_supervisor)]
    assert "rate_public" not in names


# --- 回音壁 --------------------------------------------------------------------------------------------------


def _published(world, category, *, consent=True, published=True, reply="已督促该局增设窗口。"):
    c, _code, _created = services.submit(
        channel="web",
        category=category,
        subject_unit=world.ua,
        content=f"{MARK}投诉：窗口排长队，电话{PHONE}",
        name=MARK,
        phone=PHONE,
        consent_publish=consent,
    )
    from django.utils import timezone

    c.public_reply = reply
    c.replied_at = timezone.now()
    c.published = published
    c.save()
    return c


def test_the_wall_shows_published_replies_without_personal_data(world, office, category, client):
    _published(world, category)
    _published(world, category, consent=False, reply="未经同意的答复")
    _published(world, category, published=False, reply="未发布的答复")
    html = client.get("/portal/wall/").content.decode()
    assert "已督促该局增设窗口" in html and world.ua.name in html and category.name in html
    assert "未经同意的答复" not in html and "未发布的答复" not in html
    assert MARK not in html and PHONE not in html and "窗口排长队" not in html  # never the complaint itself


def test_a_reply_that_still_names_the_complainant_is_not_shown(world, office, category, client):
    _published(world, category, reply=f"{MARK}同志：您反映的问题已解决。")
    html = client.get("/portal/wall/").content.decode()
    assert MARK not in html and "已解决" not in html


def test_the_wall_is_searchable(world, office, category, client):
    _published(world, category, reply="已督促该局增设窗口。")
    _published(world, category, reply="已约谈相关负责人。")
    html = client.get("/portal/wall/", {"q": "约谈"}).content.decode()
    assert "已约谈相关负责人" in html and "增设窗口" not in html
    html = client.get("/portal/wall/", {"category": "no-such"}).content.decode()
    assert "增设窗口" not in html


# --- rate limits and the large-type mode ---------------------------------------------------------------------


def test_submissions_are_rate_limited_per_address(world, office, category, client, settings):
    settings.XIAONENG_RATE_LIMITS = {"submit": (2, 3600)}
    for _i in range(2):
        submitted(client, post_complaint(client, world, category)[0])
    resp, _data = post_complaint(client, world, category)
    assert resp.status_code == 429 and int(resp["Retry-After"]) > 0
    assert Complaint.objects.count() == 2
    other = client.post("/portal/submit/", {}, REMOTE_ADDR="198.51.100.9")
    assert other.status_code == 400  # another address is not limited (its empty form is just invalid)


def test_tracking_and_search_are_rate_limited(world, client, settings):
    settings.XIAONENG_RATE_LIMITS = {"track": (3, 600), "units": (3, 60), "wall": (3, 60)}
    for _i in range(3):
        assert client.post("/portal/track/", {"tracking_no": "TS1", "code": "X"}).status_code == 400
    assert client.post("/portal/track/", {"tracking_no": "TS1", "code": "X"}).status_code == 429
    for url in ("/portal/units/?unit_query=局", "/portal/wall/"):
        for _i in range(3):
            assert client.get(url).status_code == 200
        assert client.get(url).status_code == 429


def test_rate_limit_keys_do_not_hold_the_address(world, client):
    from django.core.cache import caches

    client.get("/portal/wall/", REMOTE_ADDR="203.0.113.77")
    keys = list(caches["default"]._cache.keys())
    assert keys and not any("203.0.113.77" in k for k in keys)


def test_large_type_mode_is_remembered(world, client):
    assert 'class="xn-large"' not in client.get("/portal/").content.decode()
    resp = client.post("/portal/large-type/", {"next": "/portal/wall/"})
    assert resp.status_code == 302 and resp["Location"] == "/portal/wall/"
    assert client.cookies["xn_large"].value == "1"
    assert 'class="xn-large"' in client.get("/portal/").content.decode()
    client.post("/portal/large-type/", {"next": "https://evil.example/"})
    assert client.cookies["xn_large"].value == "0"


def test_the_portal_in_english(world, category, client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    for url in ("/portal/", "/portal/submit/", "/portal/track/", "/portal/wall/"):
        html = client.get(url).content.decode()
        assert 'lang="en"' in html
        assert "投诉编号" not in html and "我要投诉" not in html, url


# --- without JavaScript ------------------------------------------------------------------------------------------


def nojs_tokens(client, **extra) -> dict:
    """What a browser without script sends: the form's key and challenge, no nonce, and the <noscript> field."""
    html = client.get("/portal/submit/", **extra).content.decode()
    assert 'name="nojs" value="1"' in html  # inside <noscript>: only a browser without script sends it
    return {
        "idempotency_key": re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', html)[1],
        "pow_challenge": re.search(r'name="pow_challenge" value="([^"]+)"', html)[1],
        "pow_nonce": "",
        "nojs": "1",
    }


def test_without_script_the_form_is_sent_after_a_wait_instead_of_the_proof_of_work(
    world, office, category, client
):
    import time_machine

    with time_machine.travel("2026-03-02 10:00:00+08:00", tick=False) as clock:
        data = complaint_data(
            world, category, unit="", unit_query=world.ua.name
        )  # no search list without script
        data.update(nojs_tokens(client))
        resp = client.post("/portal/submit/", data)
        page = resp.content.decode()
        assert resp.status_code == 400 and "提交过快" in page and not IntakeRequest.objects.exists()
        # Shown again with the same challenge: the time since the form was opened counts on.
        assert f'value="{data["pow_challenge"]}"' in page
        clock.shift(challenge.NOJS_MIN_SECONDS + 1)
        tracking, _code = submitted(client, client.post("/portal/submit/", data))
    c = Complaint.objects.get(tracking_no=tracking)
    assert c.subject_unit == world.ua and c.channel == "web"


def test_without_script_a_forged_or_foreign_challenge_is_refused(world, office, category, client):
    data = complaint_data(world, category)
    data.update(nojs_tokens(client))
    other = nojs_tokens(client)
    data["pow_challenge"] = other["pow_challenge"]  # solved nothing, and bound to another form
    resp = client.post("/portal/submit/", data)
    assert resp.status_code == 400 and "安全校验已失效" in resp.content.decode()
    data.pop("nojs")  # and a script that just leaves the nonce out gets no way around the proof of work
    data["pow_challenge"] = nojs_tokens(client)["pow_challenge"]
    assert client.post("/portal/submit/", data).status_code == 400
    assert not IntakeRequest.objects.exists()


def test_the_no_script_path_has_its_own_tight_limits(world, office, category, client, settings):
    import time_machine

    settings.XIAONENG_RATE_LIMITS = {"submit_nojs": (2, 3600), "submit_nojs_all": (3, 3600)}
    cache.clear()
    with time_machine.travel("2026-03-02 10:00:00+08:00", tick=False) as clock:
        forms = []
        for addr in ["203.0.113.5"] * 3 + ["198.51.100.7"] * 2:
            data = complaint_data(world, category)
            data.update(nojs_tokens(client, REMOTE_ADDR=addr))
            forms.append((addr, data))
        clock.shift(challenge.NOJS_MIN_SECONDS + 1)
        codes = [client.post("/portal/submit/", d, REMOTE_ADDR=a).status_code for a, d in forms]
        # Two from the first address, the third refused; one from the second, then the portal's allowance is spent.
        assert codes == [302, 302, 429, 302, 429]
        # The scripted path is untouched by either.
        data = complaint_data(world, category)
        data.update(form_tokens(client))
        assert client.post("/portal/submit/", data, REMOTE_ADDR="198.51.100.7").status_code == 302
    assert IntakeRequest.objects.count() == 4

"""The demo city's share of 问责 and 明查暗访: what is there at once, and the year the worker loads, whose
statistics reproduce the seeds' table (39 people: 9 removed, 3 transferred, 2 contracts ended, 5 warnings,
2 major demerits, 14 efficiency warnings, 4 criticised)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from xiaoneng.accountability import demo, selectors
from xiaoneng.accountability.models import Case, Determination, Finding, InspectionPlan
from xiaoneng.org import demo as org_demo
from xiaoneng.org.models import User


@pytest.fixture
def city(db, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    settings.DEMO_MODE = True
    org_demo.seed()


@pytest.mark.django_db
def test_the_demo_city_has_inspections_and_cases_waiting_for_each_role(city):
    supervisor, discipline, leader = (
        User.objects.get(username=u) for u in ("supervisor", "discipline", "leader")
    )
    hidden = InspectionPlan.objects.get(mode="undercover")
    assert hidden.state == "under_way" and hidden.findings.count() == 1
    assert not InspectionPlan.objects.restrict(leader).filter(pk=hidden.pk).exists()
    done = InspectionPlan.objects.get(mode="open")
    assert done.state == "done"
    assert Finding.objects.filter(plan=done, rectification__isnull=False).count() == 1
    assert Case.objects.filter(finding__plan=done, work_item__state="investigating").count() == 1
    waiting = Case.objects.get(source="evaluation")
    assert waiting.work_item.state == "deciding"
    from xiaoneng.accountability import services

    def approvable(user):
        return [d.sanction.code for d in services.approvable(Case.objects.get(pk=waiting.pk), user)]

    assert approvable(supervisor) == ["efficiency_warning"] and approvable(discipline) == ["transfer"]
    assert {c["label"]: c["value"] for c in selectors.home_cards(supervisor)}["待审批的问责处理意见"] == 1


@pytest.mark.django_db
def test_the_year_reproduces_the_seeds_table(city):
    opened = demo.load_year(seed_value=7)
    assert opened == 32
    supervisor = User.objects.get(username="supervisor")
    today = timezone.localdate()
    stats = selectors.statistics(supervisor, today - timedelta(days=400), today)
    assert {s.code: n for s, n in stats.by_sanction} == demo.SEED_TABLE
    assert stats.people == 39
    assert stats.sentence.startswith("共处理相关责任人39人，其中")
    assert "移送" not in stats.sentence
    assert sum(n for _m, n in stats.by_month) == 39 and len(stats.by_month) >= 10
    assert {name for name, _n in stats.by_category} >= {"工作纪律", "廉洁", "领导责任"}
    assert Case.objects.filter(work_item__state="closed").count() >= 25
    assert Case.objects.filter(published_at__isnull=False).count() >= 6 and selectors.exposure()
    assert Case.objects.filter(typical=True).exists()
    assert InspectionPlan.objects.filter(state="done").count() == 13
    assert Case.objects.filter(source="inspection", finding__isnull=False).count() >= 10
    # A year of history: the cases' steps are spread over their months, not stamped with today.
    oldest = Determination.objects.filter(status="in_force").order_by("effective_on").first()
    assert (today - oldest.effective_on).days > 300
    assert oldest.case.work_item.timeline.order_by("at").first().at < timezone.now() - timedelta(days=300)

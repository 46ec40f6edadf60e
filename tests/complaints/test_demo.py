"""The demo city's complaints: a few at once, a year from the worker, through the real services."""

import io

import pytest
from django.core.management import call_command

from xiaoneng.complaints.models import Complaint
from xiaoneng.core.models import TimelineEvent


@pytest.mark.django_db
def test_the_curated_complaints_come_with_the_city():
    call_command("seed_demo", stdout=io.StringIO())
    about_kjj = Complaint.objects.filter(subject_unit__code="990100-KJJ")
    assert about_kjj.count() >= 3
    assert {"received", "assigned", "replied", "closed"} <= set(
        about_kjj.values_list("work_item__state", flat=True)
    )
    assert Complaint.objects.filter(subject_unit__region__code="990102").exists()


@pytest.mark.django_db(transaction=True)
def test_the_year_of_complaints_is_loaded_by_the_worker_after_the_city(settings):
    settings.DEMO_COMPLAINTS = 40
    call_command("seed_demo", stdout=io.StringIO())
    year = Complaint.objects.exclude(subject_unit__code="990100-KJJ", submitted_at__gte=_days_ago(25))
    assert Complaint.objects.count() >= 40
    states = set(Complaint.objects.values_list("work_item__state", flat=True))
    assert {"received", "not_accepted", "closed"} <= states
    assert set(year.exclude(finding="").values_list("finding", flat=True)) == {"true", "partly", "false"}
    assert year.exclude(rating="").exists()
    assert len(set(year.values_list("channel", flat=True))) >= 4
    assert not Complaint.objects.exclude(work_item_id__in=TimelineEvent.objects.values("item_id")).exists()


def _days_ago(n):
    from datetime import timedelta

    from django.utils import timezone

    return timezone.now() - timedelta(days=n)

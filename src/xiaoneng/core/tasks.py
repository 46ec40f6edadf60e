"""Background tasks (django.tasks API): run by `db_worker` (embedded default) or RQ workers (Redis)."""

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from .models import Heartbeat


@task()
def heartbeat() -> str:
    """Enqueued by the scheduler; run by a worker. /healthz reads both marks."""
    Heartbeat.objects.update_or_create(name="worker", defaults={"beat_at": timezone.now()})
    return "ok"


@task()
def deliver(delivery_id: int) -> str:
    from . import notify

    outcome = notify.deliver_now(delivery_id)
    if outcome == "retry":
        _retry_later(delivery_id)
    return outcome


def _retry_later(delivery_id: int) -> None:
    """Back-off: 30 s × 2^attempts, where the backend can defer."""
    if deliver.get_backend().supports_defer:
        from .models import Delivery

        attempts = Delivery.objects.get(pk=delivery_id).attempts
        deliver.using(run_after=timezone.now() + timedelta(seconds=30 * 2**attempts)).enqueue(delivery_id)


@task()
def deliver_many(delivery_ids: list[int]) -> dict[str, int]:
    """Deliveries created in bulk (the deadline sweep's notifications), sent one after the other; a failed one
    is retried on its own like `deliver`."""
    from collections import Counter

    from . import notify

    outcomes: Counter[str] = Counter()
    for delivery_id in delivery_ids:
        outcome = notify.deliver_now(delivery_id)
        outcomes[outcome] += 1
        if outcome == "retry":
            _retry_later(delivery_id)
    return dict(outcomes)


@task()
def sweep_deadlines() -> dict:
    """The deadline sweep over every registered kind of work item (incremental, idempotent)."""
    from . import workitem

    return workitem.sweep()


@task()
def recompute_after_calendar_change(version_id: int) -> int:
    """After a calendar version is saved: recompute every open deadline touching its year (in bulk through each
    kind's hook) and log old → new on the timelines of the items that moved."""
    from . import workitem
    from .models import CalendarVersion

    v = CalendarVersion.objects.select_related("region", "created_by").get(pk=version_id)
    return workitem.recompute_for_year(
        v.year, region_path=v.region.path if v.region_id else "", actor=v.created_by
    )

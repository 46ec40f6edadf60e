"""Background jobs of 效能投诉: registering the public intake queue (intake.py)."""

from django_tasks import task


@task()
def register_intake() -> dict[str, int]:
    """Turn the waiting public submissions into complaints, in batches (enqueued after each submission's
    commit)."""
    from . import intake

    return intake.register_pending()


@task()
def register_intake_catch_up() -> dict[str, int]:
    """The scheduler's run (every 30 seconds): whatever is still waiting, and the failed rows once more (up to
    intake.MAX_ATTEMPTS)."""
    from . import intake

    return intake.register_pending(retry_failed=True)

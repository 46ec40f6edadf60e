"""Scope of complaints: a complaint is visible exactly when its work item is (region for staff, minus 回避;
the handling unit once a copy was released to it). What each role sees of it is decided in the views and
serializers (the unit works from the redacted copy only)."""

from xiaoneng.core import scope
from xiaoneng.core.rules import work_item_q

from .models import Attachment, Complaint


@scope.rule(Complaint)
def complaints(user, qs):
    return qs.filter(work_item_q(user, "work_item__"))


@scope.rule(Attachment)
def attachments(user, qs):
    """Accepting staff and 纪检监察 see every attachment of a complaint they may see; everyone else who sees the
    complaint (the handling unit, leaders: the redacted view) only those released with the copy — a photo of an
    ID card or a signed letter identifies the complainant."""
    from xiaoneng.org.roles import Role

    qs = qs.filter(complaint__in=scope.restrict(Complaint, user).values("pk"))
    if user.role not in (Role.SUPERVISOR, Role.DISCIPLINE):
        qs = qs.filter(for_unit=True)
    return qs

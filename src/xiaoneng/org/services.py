"""Writes to the org: accounts and roles. One atomic function each, with its audit row."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from xiaoneng.core import audit
from xiaoneng.core.audit import AuditEventType

from .models import Person, Unit, User
from .roles import THREE_ADMINS, Role


def three_admin_conflict(person: Person | None, role: str, *, exclude_user: User | None = None) -> str | None:
    """三员分立: the reason a person may not take `role`, or None."""
    if person is None or role not in THREE_ADMINS:
        return None
    others = User.objects.filter(person=person, role__in=THREE_ADMINS, is_active=True).exclude(role=role)
    if exclude_user is not None:
        others = others.exclude(pk=exclude_user.pk)
    other = others.first()
    if other is not None:
        return _(
            "三员分立：%(name)s 已担任%(other)s，不能再担任%(role)s "
            "(separation of duties: this person already holds another administrator role)"
        ) % {"name": person.name, "other": Role(other.role).label, "role": Role(role).label}
    return None


@transaction.atomic
def create_account(
    *,
    actor: Any,
    username: str,
    role: str,
    unit: Unit,
    person: Person | None = None,
    password: str,
    display_name: str = "",
    must_change_password: bool = True,
    validate: bool = True,
) -> User:
    """Create a login account. Refused: an unknown role, a 三员 conflict, a weak password, a taken name."""
    if role not in Role.values:
        raise ValidationError(_("未知角色 (unknown role)：%(role)s") % {"role": role})
    conflict = three_admin_conflict(person, role)
    if conflict:
        raise ValidationError(conflict)
    if User.objects.filter(username=username).exists():
        raise ValidationError(_("用户名已存在 (username taken)"))
    user = User(
        username=username,
        role=role,
        unit=unit,
        person=person,
        first_name=display_name or (person.name if person else ""),
        must_change_password=must_change_password,
    )
    if validate:
        validate_password(password, user)
    user.set_password(password)
    user.save()
    audit.record(
        AuditEventType.USER_CREATED, actor=actor, obj=user, data={"username": username, "role": role}
    )
    return user


@transaction.atomic
def set_role(*, actor: Any, user: User, role: str) -> User:
    """Change an account's role (安全管理员 only; enforced by the caller's permission and here)."""
    if getattr(actor, "role", None) != Role.SECADMIN:
        raise PermissionError(_("只有安全管理员可以分配角色 (only the security administrator assigns roles)"))
    if actor.pk == user.pk:
        raise ValidationError(_("不能修改自己的角色 (you cannot change your own role)"))
    if role not in Role.values:
        raise ValidationError(_("未知角色 (unknown role)：%(role)s") % {"role": role})
    conflict = three_admin_conflict(user.person, role, exclude_user=user)
    if conflict:
        raise ValidationError(conflict)
    old = user.role
    user.role = role
    user.save(update_fields=["role"])
    audit.record(AuditEventType.ROLE_CHANGED, actor=actor, obj=user, data={"from": old, "to": role})
    return user


def _require_secadmin(actor: Any) -> None:
    if getattr(actor, "role", None) != Role.SECADMIN:
        raise PermissionError(
            _("只有安全管理员可以管理账号 (only the security administrator manages accounts)")
        )


def temporary_password() -> str:
    """A one-time password that satisfies the policy; the holder must change it at first login."""
    import secrets
    import string

    alphabet = string.ascii_letters + string.digits
    core = "".join(secrets.choice(alphabet) for _ in range(12))
    return f"Xn{core}#{secrets.randbelow(10)}"


@transaction.atomic
def set_active(*, actor: Any, user: User, active: bool) -> User:
    """Deactivate (离岗、调出) or reactivate an account; its sessions end at the next request when deactivated."""
    _require_secadmin(actor)
    if actor.pk == user.pk:
        raise ValidationError(_("不能停用自己的账号 (you cannot deactivate your own account)"))
    if active:
        conflict = three_admin_conflict(user.person, user.role, exclude_user=user)
        if conflict:
            raise ValidationError(conflict)
    user.is_active = active
    user.save(update_fields=["is_active"])
    audit.record(
        AuditEventType.USER_ACTIVATED if active else AuditEventType.USER_DEACTIVATED,
        actor=actor,
        obj=user,
        data={"username": user.username},
    )
    return user


@transaction.atomic
def reset_password(*, actor: Any, user: User) -> str:
    """A new one-time password, shown once to the security administrator; the holder must change it."""
    _require_secadmin(actor)
    password = temporary_password()
    user.set_password(password)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    audit.record(AuditEventType.PASSWORD_RESET, actor=actor, obj=user, data={"username": user.username})
    return password


@transaction.atomic
def unlock(*, actor: Any, user: User) -> int:
    """Lift a login lockout before its cool-off ends."""
    from axes.utils import reset

    _require_secadmin(actor)
    count = reset(username=user.username)
    audit.record(AuditEventType.USER_UNLOCKED, actor=actor, obj=user, data={"username": user.username})
    return count


REVEALERS = frozenset({Role.SUPERVISOR, Role.DISCIPLINE})


class RevealRefused(Exception):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message, self.status = message, status


@transaction.atomic
def reveal_person(*, actor: Any, person: Person, reason: str) -> dict[str, str]:
    """The clear phone and ID number of a person, for a supervisor or a discipline officer who gives a reason;
    every reveal and every refusal is on the audit trail."""
    reason = (reason or "").strip()
    if getattr(actor, "role", None) not in REVEALERS:
        audit.record(AuditEventType.ACCESS_DENIED, actor=actor, obj=person, data={"action": "reveal"})
        raise RevealRefused(_("无权查看完整个人信息 (not allowed to reveal personal data)"), 403)
    if not reason:
        raise RevealRefused(_("请填写查看理由 (a reason is required)"), 400)
    audit.record(
        AuditEventType.SENSITIVE_VIEWED,
        actor=actor,
        obj=person,
        data={"fields": ["phone", "id_number"], "reason": reason},
    )
    return {"phone": person.phone, "id_number": person.id_number}

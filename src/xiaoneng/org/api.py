from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema
from rest_framework import permissions
from rest_framework.decorators import action
from rest_framework.response import Response

from xiaoneng.core import audit, scope
from xiaoneng.core.api import ScopedReadOnlyViewSet
from xiaoneng.core.audit import AuditEventType

from . import services
from .models import Person, Region, Unit, User
from .roles import Role
from .serializers import (
    PersonSerializer,
    RegionSerializer,
    RoleChangeSerializer,
    UnitSerializer,
    UserSerializer,
)


class RegionViewSet(ScopedReadOnlyViewSet):
    """行政区划 in the caller's scope."""

    model = Region
    serializer_class = RegionSerializer


class UnitViewSet(ScopedReadOnlyViewSet):
    """单位 in the caller's scope."""

    model = Unit
    serializer_class = UnitSerializer

    def scope_queryset(self, qs):
        return qs.select_related("region")


class PersonViewSet(ScopedReadOnlyViewSet):
    """人员 in the caller's scope; phone and ID number masked."""

    model = Person
    serializer_class = PersonSerializer

    @extend_schema(request=None, responses={200: dict})
    @action(detail=True, methods=["post"])
    def reveal(self, request, pk=None, format=None):
        """Reveal a person's phone and ID number: supervisors and discipline only, audited with the reason."""
        person = scope.access(Person, request.user, pk)
        reason = str(request.data.get("reason", "")).strip()
        if request.user.role not in (Role.SUPERVISOR, Role.DISCIPLINE):
            audit.record(
                AuditEventType.ACCESS_DENIED, actor=request.user, obj=person, data={"action": "reveal"}
            )
            return Response(
                {
                    "detail": gettext("无权查看完整个人信息 (not allowed to reveal personal data)"),
                    "code": "forbidden",
                },
                status=403,
            )
        if not reason:
            return Response(
                {"detail": gettext("请填写查看理由 (a reason is required)"), "code": "reason_required"},
                status=400,
            )
        audit.record(
            AuditEventType.SENSITIVE_VIEWED,
            actor=request.user,
            obj=person,
            data={"fields": ["phone", "id_number"], "reason": reason},
        )
        return Response({"phone": person.phone, "id_number": person.id_number})


class IsSecadmin(permissions.BasePermission):
    def has_permission(self, request, view):
        return getattr(request.user, "role", None) == Role.SECADMIN


class UserViewSet(ScopedReadOnlyViewSet):
    """Accounts: the security administrator sees all; everyone else sees their own."""

    model = User
    serializer_class = UserSerializer

    @extend_schema(request=RoleChangeSerializer, responses={200: UserSerializer})
    @action(detail=True, methods=["post"], url_path="set-role", permission_classes=[IsSecadmin])
    def set_role(self, request, pk=None, format=None):
        target = scope.access(User, request.user, pk)
        ser = RoleChangeSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        try:
            services.set_role(actor=request.user, user=target, role=ser.validated_data["role"])
        except ValidationError as exc:
            return Response({"detail": " ".join(exc.messages), "code": "invalid"}, status=400)
        return Response(UserSerializer(target).data)

from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import permissions
from rest_framework.decorators import action
from rest_framework.response import Response

from xiaoneng.core import scope
from xiaoneng.core.api import ScopedReadOnlyViewSet

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
        try:
            clear = services.reveal_person(
                actor=request.user, person=person, reason=str(request.data.get("reason", ""))
            )
        except services.RevealRefused as exc:
            code = "forbidden" if exc.status == 403 else "reason_required"
            return Response({"detail": exc.message, "code": code}, status=exc.status)
        return Response(clear)


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

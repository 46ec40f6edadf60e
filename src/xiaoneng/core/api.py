"""API plumbing shared by every app: scoped viewsets and one error shape.

Errors answer `{"detail": "<中文 (English)>", "code": "<machine code>"}`; a refused transition is 409 (or 403
when the role may not act), a scope miss is 404, bad input is 400 with field errors.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from . import scope
from .workflow import TransitionRefused


def exception_handler(exc, context):
    if isinstance(exc, TransitionRefused):
        return Response({"detail": exc.message, "code": exc.code}, status=exc.status)
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        return Response({**detail, "code": "invalid"}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        return Response({"detail": gettext("未找到 (not found)"), "code": "not_found"}, status=404)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" in response.data:
        response.data["code"] = getattr(response.data["detail"], "code", "error")
        if isinstance(exc, exceptions.NotAuthenticated):
            response.data["detail"] = gettext("请先登录 (authentication required)")
        elif isinstance(exc, exceptions.PermissionDenied):
            response.data["detail"] = gettext("无权执行此操作 (permission denied)")
    return response


class ScopedViewSetMixin:
    """Every object endpoint's queryset comes from the scope layer; a viewset that hands back an unrestricted
    queryset is a programming error and answers 500 rather than leaking."""

    queryset = None  # subclasses set `model`

    model = None

    def base_queryset(self):
        return self.model._default_manager.all()

    def get_queryset(self):
        qs = scope.restrict(self.base_queryset(), self.request.user)
        return self.scope_queryset(qs)

    def scope_queryset(self, qs):
        """Hook for filters and select_related on the already-restricted queryset."""
        return qs

    def get_object(self):
        """One object through the scope layer: 404 alike for missing and out of scope (the latter audited)."""
        qs = self.filter_queryset(self.get_queryset())
        pk = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
        obj = scope.access(self.model, self.request.user, pk, qs)
        self.check_object_permissions(self.request, obj)
        return obj

    def filter_queryset(self, queryset):
        qs = super().filter_queryset(queryset)
        if not getattr(qs, "is_restricted", False):
            raise RuntimeError(f"{type(self).__name__} served an unrestricted queryset")
        return qs


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass


class ScopedListRetrieveUpdateViewSet(
    ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    pass

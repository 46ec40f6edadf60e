"""Open311 GeoReport v2, mounted at /open311/v2/ (public; every name is on the scope matrix's PUBLIC list)."""

from django.urls import re_path

from . import open311

FMT = r"(?P<fmt>json|xml)"

urlpatterns = [
    re_path(rf"^services\.{FMT}$", open311.service_list, name="open311_services"),
    re_path(
        rf"^services/(?P<code>[\w-]+)\.{FMT}$", open311.service_definition, name="open311_service_definition"
    ),
    re_path(rf"^requests\.{FMT}$", open311.requests, name="open311_requests"),
    re_path(rf"^requests/(?P<request_id>[\w-]+)\.{FMT}$", open311.request_detail, name="open311_request"),
    re_path(rf"^tokens/(?P<token>[\w-]+)\.{FMT}$", open311.token, name="open311_token"),
]

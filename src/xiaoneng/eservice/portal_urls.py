"""政务服务好差评 on the public portal, mounted at /portal/service/ (anonymous; every name is on the scope matrix's
PUBLIC list, tests/eservice/scope_matrix.py)."""

from django.urls import path

from . import portal

urlpatterns = [
    path("", portal.rating, name="portal_service_rating"),
    path("rate/", portal.rate, name="portal_service_rate"),
]

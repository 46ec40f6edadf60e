"""The public portal, mounted at /portal/ (anonymous; every name is on the scope matrix's PUBLIC list)."""

from django.urls import path

from . import portal

urlpatterns = [
    path("", portal.index, name="portal_index"),
    path("submit/", portal.submit, name="portal_submit"),
    path("submit/done/", portal.submit_done, name="portal_submit_done"),
    path("track/", portal.track, name="portal_track"),
    path("track/rate/", portal.rate, name="portal_rate"),
    path("wall/", portal.wall, name="portal_wall"),
    path("units/", portal.units, name="portal_units"),
    path("large-type/", portal.large_type, name="portal_large_type"),
]

"""The 曝光台 on the public portal, mounted at /portal/exposure/ (anonymous; on the scope matrix's PUBLIC list)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.exposure, name="portal_exposure"),
]

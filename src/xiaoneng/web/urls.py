from django.contrib.auth import views as auth_views
from django.urls import path

from . import views
from .forms import LoginForm

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path(
        "login/",
        auth_views.LoginView.as_view(authentication_form=LoginForm, redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/change/", views.password_change, name="password_change"),
    path("items/", views.items, name="items"),
    path("items/<int:pk>/", views.item_detail, name="item_detail"),
    path("org/units/", views.units, name="units"),
    path("org/units/<int:pk>/", views.unit_detail, name="unit_detail"),
    path("org/people/", views.people, name="people"),
    path("org/people/<int:pk>/reveal/", views.person_reveal, name="person_reveal"),
    path("admin/accounts/", views.accounts, name="accounts"),
    path("audit/", views.audit_log, name="audit"),
    path("inbox/", views.inbox, name="inbox"),
    path("calendar/", views.calendar_index, name="calendar"),
    path("calendar/import/", views.calendar_import, name="calendar_import"),
    path("calendar/<int:year>/", views.calendar_year, name="calendar_year"),
]

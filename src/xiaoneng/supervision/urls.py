from django.urls import path

from . import views

urlpatterns = [
    path("", views.ledger, name="supervision"),
    path("new/", views.issue, name="supervision_issue"),
    path("<int:pk>/", views.item, name="supervision_item"),
]

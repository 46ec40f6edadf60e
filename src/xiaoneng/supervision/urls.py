from django.urls import path

from . import views

urlpatterns = [
    path("", views.ledger, name="supervision"),
    path("new/", views.issue, name="supervision_issue"),
    path("new/people-options/", views.people_options, name="supervision_people_options"),
    path("export.xlsx", views.export, name="supervision_export"),
    path("import/", views.import_items, name="supervision_import"),
    path("import/template.xlsx", views.import_template, name="supervision_import_template"),
    path("<int:pk>/", views.item, name="supervision_item"),
    path("<int:pk>/decompose/", views.decompose, name="supervision_decompose"),
    path("<int:pk>/board/", views.board, name="supervision_board"),
    path("<int:pk>/notice/", views.notice, name="supervision_notice"),
    path("<int:pk>/documents/<int:doc>.<str:fmt>", views.document, name="supervision_document"),
    path("files/<int:pk>/", views.report_file, name="supervision_file"),
]

from django.urls import path

from . import views

urlpatterns = [
    path("", views.ledger, name="complaints"),
    path("new/", views.entry, name="complaint_new"),
    path("new/people/", views.person_options, name="complaint_person_options"),
    path("export.xlsx", views.export, name="complaints_export"),
    path("stats/", views.stats, name="complaint_stats"),
    path("import/", views.import_batch, name="complaints_import"),
    path("import/template.xlsx", views.import_template, name="complaints_import_template"),
    path("attachments/<int:pk>/", views.attachment, name="complaint_attachment"),
    path("<int:pk>/", views.detail, name="complaint_detail"),
    path("<int:pk>/assign/", views.assign, name="complaint_assign"),
    path("<int:pk>/assign/check/", views.redaction_check, name="complaint_redaction_check"),
    path("<int:pk>/reveal/", views.reveal, name="complaint_reveal"),
]

from django.urls import path

from . import views

urlpatterns = [
    path("", views.index, name="eservice"),
    path("matters/", views.matters, name="eservice_matters"),
    path("matters/export.xlsx", views.matters_export, name="eservice_matters_export"),
    path("matters/new/", views.matter_form, name="eservice_matter_new"),
    path("matters/<int:pk>/", views.matter_form, name="eservice_matter"),
    path("matters/import/", views.matters_import, name="eservice_matters_import"),
    path("matters/import/template.xlsx", views.matters_template, name="eservice_matters_template"),
]
urlpatterns += [
    path("cases/", views.cases, name="eservice_cases"),
    path("cases/<int:pk>/", views.case_detail, name="eservice_case"),
    path("anomalies/", views.anomalies, name="eservice_anomalies"),
    path("intake/", views.intake, name="eservice_intake"),
]
urlpatterns += [
    path("alerts/", views.alerts, name="eservice_alerts"),
    path("alerts/<int:pk>/", views.alert_detail, name="eservice_alert"),
]
urlpatterns += [
    path("metrics/", views.metrics, name="eservice_metrics"),
    path("metrics/export.xlsx", views.metrics_export, name="eservice_metrics_export"),
]
urlpatterns += [
    path("projects/", views.projects, name="eservice_projects"),
    path("projects/<int:pk>/", views.project_detail, name="eservice_project"),
]

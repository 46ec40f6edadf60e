from django.urls import path

from . import views

urlpatterns = [
    path("", views.index, name="accountability"),
    path("new/", views.new_case, name="accountability_new"),
    path("people-options/", views.people_options, name="accountability_people_options"),
    path("<int:pk>/", views.case, name="accountability_case"),
    path("<int:pk>/documents/<int:doc>.<str:fmt>", views.document, name="accountability_document"),
    path("people/<int:pk>/", views.person_record, name="accountability_person"),
    path("statistics/", views.statistics, name="accountability_statistics"),
    path("statistics/export.xlsx", views.statistics_export, name="accountability_statistics_export"),
    path("catalog/", views.catalog, name="accountability_catalog"),
    path("inspections/", views.plans, name="inspections"),
    path("inspections/new/", views.new_plan, name="inspection_new"),
    path("inspections/<int:pk>/", views.plan, name="inspection"),
    path("inspections/<int:pk>/findings/new/", views.new_finding, name="finding_new"),
    path("inspections/findings/<int:pk>/", views.finding, name="finding"),
    path("inspections/photos/<int:pk>/", views.photo, name="finding_photo"),
]

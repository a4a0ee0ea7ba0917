"""Mounted at /o/<org_slug>/reports/."""

from django.urls import path, register_converter

from kokemus.reports import views


class DatasetConverter:
    regex = "responses|answers|rollups"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


class FormatConverter:
    regex = "csv|xlsx|parquet"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(DatasetConverter, "dataset")
register_converter(FormatConverter, "fmt")

urlpatterns = [
    path("", views.index, name="reports_index"),
    path("unit/", views.unit_pdf_form, name="reports_unit_pdf_form"),
    path("unit/<int:unit_pk>.pdf", views.unit_pdf, name="reports_unit_pdf"),
    path("export/<dataset:dataset>.<fmt:fmt>", views.export, name="reports_export"),
    path("dictionary/", views.dictionary, name="reports_dictionary"),
    path("schedules/new/", views.schedule_create, name="reports_schedule_create"),
    path("schedules/<int:pk>/toggle/", views.schedule_toggle, name="reports_schedule_toggle"),
    path("schedules/<int:pk>/delete/", views.schedule_delete, name="reports_schedule_delete"),
]

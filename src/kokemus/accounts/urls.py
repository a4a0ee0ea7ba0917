from django.urls import path

from kokemus.accounts import views

urlpatterns = [
    path("", views.org_home, name="org_home"),
    path("units/", views.unit_list, name="unit_list"),
    path("units/<int:pk>/row/", views.unit_row, name="unit_row"),
    path("units/<int:pk>/rename/", views.unit_rename, name="unit_rename"),
    path("units/<int:pk>/move/", views.unit_move, name="unit_move"),
    path("units/<int:pk>/archive/", views.unit_archive, name="unit_archive"),
    path("units/<int:pk>/restore/", views.unit_restore, name="unit_restore"),
    path("members/", views.member_list, name="member_list"),
    path("members/<int:pk>/", views.member_edit, name="member_edit"),
    path("members/<int:pk>/remove/", views.member_remove, name="member_remove"),
    path("invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("audit/", views.audit_log, name="audit_log"),
]

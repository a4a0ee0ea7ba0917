"""/o/<org_slug>/api-tokens/: API tokens, webhooks and their delivery log."""

from django.urls import path

from kokemus.api import views

urlpatterns = [
    path("", views.token_list, name="api_token_list"),
    path("<int:pk>/revoke/", views.token_revoke, name="api_token_revoke"),
    path("webhooks/", views.webhook_create, name="api_webhook_create"),
    path("webhooks/<int:pk>/toggle/", views.webhook_toggle, name="api_webhook_toggle"),
    path("webhooks/<int:pk>/delete/", views.webhook_delete, name="api_webhook_delete"),
    path("webhooks/deliveries/", views.delivery_list, name="api_webhook_deliveries"),
]

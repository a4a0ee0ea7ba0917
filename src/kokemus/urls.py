"""URL map. Organisation pages live under /o/<org_slug>/, one include per app."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from kokemus.accounts import views as account_views
from kokemus.accounts.forms import EmailAuthenticationForm
from kokemus.web import views as web_views

org_patterns = [
    path("", include("kokemus.accounts.urls")),
    path("journeys/", include("kokemus.journeys.urls")),
    path("surveys/", include("kokemus.surveys.urls")),
    path("kiosks/", include("kokemus.kiosk.urls")),
    path("dashboards/", include("kokemus.analytics.urls")),
    path("imports/", include("kokemus.imports.urls")),
    path("invitations/", include("kokemus.invitations.urls")),
    path("api-tokens/", include("kokemus.api.urls")),
    path("themes/", include("kokemus.comments.urls")),
    path("goals/", include("kokemus.goals.urls")),
    path("improvement/", include("kokemus.improvement.urls")),
    path("reports/", include("kokemus.reports.urls")),
    path("start/", include("kokemus.onboarding.urls")),
]

urlpatterns = [
    # First: the public form is the busiest URL (each pattern tried before it costs every
    # submission time); nothing else starts with r/.
    path("", include("kokemus.surveys.public_urls")),
    path("", web_views.home, name="home"),
    path("healthz", web_views.healthz, name="healthz"),
    path("readyz", web_views.readyz, name="readyz"),
    path("language/", web_views.set_language, name="set_language"),
    path("login/", auth_views.LoginView.as_view(authentication_form=EmailAuthenticationForm,
                                                redirect_authenticated_user=True),
         name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password-reset/", auth_views.PasswordResetView.as_view(
        html_email_template_name=None), name="password_reset"),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(),
         name="password_reset_done"),
    path("password-reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("password-reset/done/", auth_views.PasswordResetCompleteView.as_view(),
         name="password_reset_complete"),
    path("invite/<str:token>/", account_views.accept_invitation, name="accept_invitation"),
    path("o/<slug:org_slug>/", include(org_patterns)),
    path("", include("kokemus.kiosk.public_urls")),
    path("", include("kokemus.invitations.public_urls")),
    path("api/", include("kokemus.api.public_urls")),
    path("", include("kokemus.onboarding.public_urls")),
    path("", include("kokemus.privacy.urls")),
]

handler400 = "kokemus.web.errors.bad_request"
handler403 = "kokemus.web.errors.permission_denied"
handler404 = "kokemus.web.errors.page_not_found"
handler500 = "kokemus.web.errors.server_error"

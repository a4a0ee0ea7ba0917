from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "kokemus.privacy"
    label = "privacy"
    verbose_name = _("Privacy")

    def ready(self):
        from kokemus.web import nav

        try:
            nav.register(nav.NavItem(_("Privacy"), "privacy_settings", min_role="admin",
                                     order=95))
        except Exception:  # pragma: no cover - navigation is a nicety, never fatal
            pass

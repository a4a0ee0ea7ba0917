from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommentsConfig(AppConfig):
    name = "kokemus.comments"
    label = "comments"
    verbose_name = _("Comments")

    def ready(self):
        from kokemus.web.nav import NavItem, register

        register(NavItem(_("Themes"), "theme_list", min_role="manager", order=45))

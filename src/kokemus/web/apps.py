from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _create_cache_table(sender, **kwargs):
    """`kokemus migrate` also creates the database cache table (idempotent).

    post_migrate is sent once per app with models; run on the accounts app's signal.
    """
    if sender.label != "accounts":
        return
    from django.conf import settings
    from django.core.management import call_command

    if "DatabaseCache" in settings.CACHES["default"]["BACKEND"]:
        call_command("createcachetable", database=kwargs.get("using", "default"), verbosity=0)


class WebConfig(AppConfig):
    name = "kokemus.web"
    label = "web"
    verbose_name = _("Web")

    def ready(self):
        post_migrate.connect(_create_cache_table, dispatch_uid="kokemus_cache_table")

"""The WSGI application of ``kokemus serve`` (and any WSGI server): Django's handler, with
the short middleware chain of :mod:`kokemus.web.lean` for public form submissions."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kokemus.settings")
django.setup(set_prefix=False)

from kokemus.web.lean import Application  # noqa: E402 - after django.setup()

application = Application()

from django import template
from django.utils.translation import get_language

from kokemus.goals.promise import current_promise as _current_promise

register = template.Library()


@register.simple_tag
def current_promise(org, language=None):
    """``{% current_promise current_org as promise %}`` → CurrentPromise or None."""
    return _current_promise(org, language or (get_language() or "fi")[:2])


@register.inclusion_tag("goals/_promise_banner.html")
def promise_banner(org, language=None):
    """``{% promise_banner current_org %}``: the promise as a page heading banner."""
    return {"promise": _current_promise(org, language or (get_language() or "fi")[:2])}

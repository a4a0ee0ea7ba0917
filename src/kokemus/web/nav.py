"""Organisation navigation registry: each app adds its main pages in AppConfig.ready()."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse


@dataclass(frozen=True)
class NavItem:
    label: object  # a lazy translation
    url_name: str
    min_role: str = "staff"
    order: int = 50


_ITEMS: list[NavItem] = []


def register(item: NavItem) -> None:
    if item.url_name not in {i.url_name for i in _ITEMS}:
        _ITEMS.append(item)
        _ITEMS.sort(key=lambda i: i.order)


def items_for(request, org, membership) -> list[dict]:
    out = []
    for item in _ITEMS:
        if membership is None or not membership.has_role(item.min_role):
            continue
        url = reverse(item.url_name, args=[org.slug])
        out.append({"label": item.label, "url": url, "active": request.path.startswith(url)})
    return out

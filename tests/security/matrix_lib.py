"""Machinery of the permission matrix: URL enumeration, kwargs, personas, probing."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

PERSONAS = ("anon", "outsider", "staff", "manager", "admin", "read", "write")
LOGIN_PREFIX = "/login/"


@dataclass(frozen=True)
class Route:
    key: str        # URL name, or the route pattern when unnamed
    pattern: str    # the full route, e.g. "o/<slug:org_slug>/units/<int:pk>/row/"
    kwargs: tuple   # names of the URL kwargs


def walk(patterns=None, prefix=""):
    if patterns is None:
        patterns = get_resolver().url_patterns
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            route = prefix + str(p.pattern)
            names = tuple(re.findall(r"<(?:\w+:)?(\w+)>", route)) or tuple(
                p.pattern.regex.groupindex)
            yield Route(p.name or route, route, names)


def all_routes() -> dict[str, Route]:
    routes: dict[str, Route] = {}
    for r in walk():
        routes.setdefault(r.key, r)
    return routes


def build_path(route: Route, values: dict) -> str:
    """Fill the kwargs of a route pattern (works for path() and re_path() patterns)."""
    path = route.pattern
    for name in route.kwargs:
        path = re.sub(rf"<(?:[a-z]+:)?{name}>", str(values[name]), path)
    path = path.lstrip("^").rstrip("$").replace("\\", "")
    return "/" + path


def classify(response) -> str:
    code = response.status_code
    if code in (301, 302, 303, 307, 308):
        location = response.get("Location", "")
        return "L" if location.startswith(LOGIN_PREFIX) or "/login/?" in location else "302"
    return str(code)


def request(client: Client, method: str, path: str, body, headers: dict):
    if method == "GET":
        return client.get(path, headers=headers)
    if method == "POST_JSON":
        return client.post(path, json.dumps(body or {}), content_type="application/json",
                           headers=headers)
    return getattr(client, method.lower())(path, body or {}, headers=headers)

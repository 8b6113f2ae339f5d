"""The dialect each service declares in its package (``DIALECT``), for protocol tests that
build parsers and serializers without a running cloud."""

from __future__ import annotations

from importlib import import_module

from regionbox.protocol.dialect import Dialect


def dialect_of(service: str) -> Dialect:
    try:
        package = import_module(f"regionbox.services.{service}")
    except ModuleNotFoundError:
        return Dialect()  # a service regionbox does not serve: the protocol's common rules
    return getattr(package, "DIALECT", Dialect())

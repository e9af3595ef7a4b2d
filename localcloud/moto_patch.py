"""Patching moto at the model level, so every path into a model (the API, or another provider
in-process) goes through localcloud's behaviour and moto's serializers still shape responses."""
from __future__ import annotations

import functools


def wrap_method(cls, name: str, hook, *, tag: str) -> None:
    """Route `cls.name` through `hook(original, self, *args, **kwargs)`, once per `tag` (so a
    reset or a second LocalCloud never wraps twice, while two modules may wrap one method)."""
    marker = f"_localcloud_{tag}"
    original = getattr(cls, name)
    if getattr(original, marker, False):
        return

    @functools.wraps(original)
    def wrapper(self, *args, **kwargs):
        return hook(original, self, *args, **kwargs)

    setattr(wrapper, marker, True)  # functools.wraps kept the markers of wrappers underneath
    setattr(cls, name, wrapper)

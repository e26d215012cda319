"""The public surface of ``modelwatch.formats``."""

from __future__ import annotations

import modelwatch.formats as formats


def test_all_lists_exactly_the_public_names() -> None:
    public = {
        name for name, value in vars(formats).items() if not name.startswith("_") and not _is_module(value)
    }
    public.discard("annotations")
    assert set(formats.__all__) == public
    assert sorted(formats.__all__) == formats.__all__
    for name in formats.__all__:
        assert getattr(formats, name).__doc__ or name in {"InferredType", "CheckType"}


def _is_module(value: object) -> bool:
    return type(value).__name__ == "module"

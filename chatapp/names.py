"""User names that look alike: the Unicode confusable skeleton of UTS #39, from ICU."""

from functools import cache

import icu


@cache
def _spoof_checker() -> "icu.SpoofChecker":
    return icu.SpoofChecker()


def name_skeleton(name_key: str) -> str:
    """The skeleton of a (case-folded) user name: names that look alike share it."""
    return _spoof_checker().getSkeleton(0, name_key)

"""Values cached per live object: ``per_object`` computes a pure function of some objects (plus plain key values)
once while those objects live. The key holds the objects' ids; a weak reference to each guards against an id
reused by a new object after the old one died."""

from __future__ import annotations

import weakref


def per_object(cache: dict, owners: tuple, key: tuple, compute, limit: int):
    """``compute()`` once per (``owners`` objects, ``key``) in ``cache``; the cache is emptied when it holds more
    than ``limit`` entries."""
    k = (*map(id, owners), *key)
    hit = cache.get(k)
    if hit is not None:
        for ref, owner in zip(hit[0], owners):
            if ref() is not owner:
                break
        else:
            return hit[1]
    value = compute()
    if len(cache) > limit:
        cache.clear()
    cache[k] = (tuple(weakref.ref(o) for o in owners), value)
    return value

import functools


class Registry:
    """Holds things."""

    @functools.lru_cache(maxsize=None)
    def lookup(self, key):
        return key * 2


REGISTRY = Registry()

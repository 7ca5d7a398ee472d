import functools


class Registry:
    """Holds things."""
    print(type(object)())

    @functools.lru_cache(maxsize=None)
    def lookup(self, key):
        return key * 2


REGISTRY = Registry()

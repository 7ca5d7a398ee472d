CACHE = {}


def load(key):
    CACHE[key] = object()
    return CACHE[key]


CACHE.clear()

CACHE = {}


class Loader:
    """Loads things."""
    CACHE.clear()

    def load(self, key):
        CACHE[key] = object()
        return CACHE[key]

import functools


class Manager:
    @functools.lru_cache(maxsize=None)
    def load(self, k):
        return k

    def clone(self):
        return type(
            self
        )


manager = Manager()

import functools

class Config:
    @functools.cache
    def get(self, key):
        return key * 2

    def other(self):
        return 1

config = Config()

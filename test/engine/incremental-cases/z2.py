# helpers
print("hi")
# (kept for the tests)
_CACHE = {}
def f(k):
    if k not in _CACHE:
        _CACHE[k] = k * 2
    return _CACHE[k]

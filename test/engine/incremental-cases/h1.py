cache = {}

def f():
    for k in ("a", "b"):
        cache[k] = 1

cache = {}

def f():
    for k in ("a", g()):
        cache[k] = 1

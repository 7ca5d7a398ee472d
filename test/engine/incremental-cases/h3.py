cache = {}

def f():
    for k in ("a", object()):
        cache[k] = 1

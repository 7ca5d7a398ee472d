cache = {}

def fib(n):
    if n not in cache:
        cache[n] = n * 2
    return cache[n]

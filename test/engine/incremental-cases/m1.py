cache = {}

def fib(n):
    if n not in cache:
        # remember
        cache[n] = n * 2
    return cache[n]

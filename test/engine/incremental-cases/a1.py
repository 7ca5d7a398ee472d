N = 10 ** 9
x = bytes(N)

def f():
    pass

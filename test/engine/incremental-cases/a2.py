N = 10 ** 9
x = bytes(N)

def f():
    global N
    N = 1

data = {1: 2}
for k in list(data):
    g(k)

def f():
    h(data)

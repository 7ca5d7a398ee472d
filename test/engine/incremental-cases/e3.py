data = {1: 2}
for k in list(data):
    print(k)

def f():
    global data
    print(data)

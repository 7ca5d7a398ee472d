class A:
    pass

a = A()
b = A()
a.child = b
b.parent = a

def f():
    return 1

data = {1: 2}
for k in list(data):
    def f():
        data.clear()

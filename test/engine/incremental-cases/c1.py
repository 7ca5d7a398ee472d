class Node:
    def __init__(self):
        self.children = []

class Tree:
    def build(self):
        n = Node()
        n.parent = self
        self.children.append(n)

def f(t):
    pass

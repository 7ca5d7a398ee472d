"""Print, as JSON, the module-level imported names of each file given that nothing in it uses
(null for a file that does not parse).

A name counts as used when it is loaded anywhere (`name`, `name.attr`, a decorator), named in
`__all__`, or re-exported by `import x as x` / `from m import x as x`. `from __future__` imports
and star imports are ignored. Prints {path: [names...]}.
"""
import ast
import json
import sys


def unused(path):
    with open(path, "rb") as f:
        tree = ast.parse(f.read(), path)
    imported = {}
    for statement in tree.body:
        if isinstance(statement, ast.Import):
            for alias in statement.names:
                if alias.asname and alias.asname == alias.name:
                    continue
                imported[alias.asname or alias.name.split(".")[0]] = statement.lineno
        elif isinstance(statement, ast.ImportFrom) and statement.module != "__future__":
            for alias in statement.names:
                if alias.name == "*" or (alias.asname and alias.asname == alias.name):
                    continue
                imported[alias.asname or alias.name] = statement.lineno
    used = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            used.add(node.id)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            used.add(node.value)  # __all__ entries and string annotations
    return sorted(name for name in imported if name not in used)


def unused_or_none(path):
    try:
        return unused(path)
    except SyntaxError:
        return None


print(json.dumps({path: unused_or_none(path) for path in sys.argv[1:]}))

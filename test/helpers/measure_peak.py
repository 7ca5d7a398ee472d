"""Run a Python program under tracemalloc and report the peak of what it allocates.

The program's leading imports run before tracing starts, so a module's own import cost (NumPy
allocates megabytes when imported) does not count. Tracing starts just before the rest of the
program runs; the peak of traced memory minus the baseline at that moment is the memory the
program's statements allocated at their worst, which for the size fixtures is the one collection
they materialize. Prints the program's output, then one line: `MEMHINT-PEAK <json>`.
"""
import ast
import json
import sys
import tracemalloc

path = sys.argv[1]
with open(path, encoding="utf-8") as f:
    tree = ast.parse(f.read(), path)

split = 0
for split, statement in enumerate(tree.body):
    is_docstring = split == 0 and isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)
    if not is_docstring and not isinstance(statement, (ast.Import, ast.ImportFrom)):
        break
else:
    split = len(tree.body)

namespace = {"__name__": "__main__", "__file__": path}
exec(compile(ast.Module(body=tree.body[:split], type_ignores=[]), path, "exec"), namespace)
program = compile(ast.Module(body=tree.body[split:], type_ignores=[]), path, "exec")
sys.stdout.write("")  # the stream's buffer exists before tracing

tracemalloc.start()
baseline, _ = tracemalloc.get_traced_memory()
exec(program, namespace)
current, peak = tracemalloc.get_traced_memory()
tracemalloc.stop()
sys.stdout.flush()
print("MEMHINT-PEAK " + json.dumps({"peak": peak - baseline, "retained": current - baseline}))

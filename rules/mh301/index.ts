/**
 * MH301, reference-cycle: instances that point at each other, so that only the cyclic garbage
 * collector frees them. The checks live beside this file: `links.ts` (two objects linked in both
 * directions, self-references), `parents.ts` (parents and children), with `sites.ts` (which
 * methods can link at all), `stores.ts` (what methods store), `lifecycle.ts` (attributes the code
 * already makes weak or releases) and `fix.ts` (the weak property).
 */
import type { Node } from "web-tree-sitter";
import { isIdentifierPartAt } from "../../server/engine/facts/identifiers.js";
import { classScopes } from "../../server/engine/facts/index.js";
import { defineRule } from "../../server/engine/types.js";
import { checkAttributeLink, LINK_SHAPE } from "./links.js";
import { checkClass } from "./parents.js";

export default defineRule({
  code: "MH301",
  name: "reference-cycle",
  severity: "warning",
  fixable: "sometimes",
  peers: [],
  docs: {
    what: "Finds classes whose instances point at each other, so that they form reference cycles: a child pointed back at the parent that keeps it (`child.parent = self` with `self.children.append(child)`; `self.parent = parent` in `__init__` where the parent class keeps the children it creates, or where `__init__` adds the instance to `parent.children`), two objects linked in both directions (`a.next = b; b.prev = a`, `other.partner = self; self.partner = other`, on instances of classes defined in the file or on `self`), and an instance that references itself (`self.me = self`).",
    why: "CPython frees an object the moment its reference count drops to zero, except when it is part of a cycle: then the count never reaches zero, and the objects wait for the cyclic garbage collector. Long-lived cycles end up in the oldest generation, which is collected rarely, so the whole structure (every node, and every list, buffer or array it references) stays in memory long after the program dropped it, then is freed in bulk during a collection that pauses the program for a time proportional to everything tracked. With `gc.disable()` it is not freed at all until something calls `gc.collect()`. A weak back-reference keeps the structure tree-shaped: dropping the root frees it at once.",
    example: "class Node:\n    def __init__(self, name):\n        self.name = name\n        self.parent = None\n        self.children = []\n\n    def add_child(self, child):\n        child.parent = self\n        self.children.append(child)\n        return child",
    useInstead: "import weakref\n\nclass Node:\n    def __init__(self, name):\n        self.name = name\n        self.parent = None\n        self.children = []\n\n    def add_child(self, child):\n        child.parent = self\n        self.children.append(child)\n        return child\n\n    @property\n    def parent(self):\n        ref = self._parent_ref\n        return ref() if ref is not None else None\n\n    @parent.setter\n    def parent(self, value):\n        self._parent_ref = weakref.ref(value) if value is not None else None",
    fixSafety: "The fix is always unsafe. It stores the back-reference as a `weakref.ref` behind a property with the attribute's old name (on the class that holds the attribute, which must be defined in the file), so reads and writes of `x.parent` keep working, `None` stays `None`, and `is` comparisons still hold. What changes: an object that was kept alive only by its back-reference now dies (a child kept while its tree was dropped sees `parent` become `None`); the instance stores `_parent_ref` instead of `parent` (`__dict__`, `vars()`, `copy` and `pickle` see the difference, and `copy.deepcopy` would leave the copy pointing at the original, so files using them get no fix); values that cannot be weakly referenced (ints, strings, tuples, instances of classes with `__slots__` lacking `__weakref__`) raise `TypeError` when assigned. No fix is offered when the class of the object stored weakly is unknown (a parameter with no annotation, unless exactly one class of the file keeps children in the container it is added to) or cannot be weakly referenced (`__slots__` without `__weakref__`, subclasses of `int`, `tuple`, `bytes`, named tuples), when the holder's class is unknown or has `__slots__`, decorators (dataclasses), attribute hooks, or a member of that name; for links with no clear back-reference (`a.peer = b; b.peer = a`, a circular list, or `self.partner = Partner(partner=self)`, where one attribute holds both directions), since making either direction weak would let the structure die; or when `weakref` is bound to something else. `weakref.proxy` is not used: a proxy is not the object (`is`, `isinstance` and hashing differ).",
    limits: "Sees cycles of two objects (or one) whose links are written in one method, function or module body, or through a helper method of the same class; longer cycles (`a.next = b; b.next = c; c.next = a`), links made through containers other than attributes of `self`, and objects of classes from other modules are not followed. Two objects linked at module or function level must both be instances of classes defined in the file. A parent that keeps its children through its own method (`parent.add(self)`) or a list literal (`self.items = [Child(self)]`) is not followed. Silent when either link already goes through `weakref` (`weakref.ref`, `weakref.proxy`, `WeakSet`, `WeakValueDictionary`, `WeakKeyDictionary`, any import style: an attribute name assigned a `weakref` object anywhere in the file counts as weak everywhere in it), when the attribute is a property or descriptor of the holder's class (or of any class in the file when the holder is unknown); for one-directional links (singly linked lists, parent pointers that no parent ever stores its children behind, `self` handed to an object that `self` does not keep). Silent when the code breaks the cycle itself: a teardown method anywhere in the file (a name made of words such as `close`, `destroy`, `dispose`, `teardown`/`tearDown`, `shutdown`, `cleanup`, `release`, `unlink`, `disconnect`, `finish`, `stop`, `connection_lost`, `__exit__`; not `__del__`, which runs only once the cycle is collected, and not `test_*` functions) sets an attribute of either link's name to None or a fresh empty object, deletes it or clears it, or a later statement of the same function (or the `finally` of a `try` around the link) replaces the link; the attribute names are matched file-wide, so a teardown of an unrelated class that resets an attribute of the same name also silences the rule. Silent for protocol attributes (`module.__loader__ = self`, any `__name__`-shaped attribute) in links between two objects, and when the object is a class rather than an instance: methods of metaclasses (subclasses of `type`, `abc.ABCMeta`, `enum.EnumMeta`), `__init_subclass__`, `__class_getitem__` and `__new__`, and methods whose first parameter is `cls`, `mcs`, `mcls` or `metacls`. No ruff or pylint rule finds reference cycles: this rule has no peer.",
  },
  nodeTypes: ["class_definition", "assignment"],
  check(node, ctx) {
    // `class` is a keyword, so no assignment starts with it: no need to ask the node its type.
    if (isClassKeyword(ctx.source, node.startIndex)) checkClass(node, ctx);
    else checkAttributeLink(node, ctx);
  },
  // Class checks read whole class texts, and file-wide facts (weak, released, literal attributes,
  // fix blockers) come from every function: too much to summarize, so after an edit the rule
  // runs again on its candidates, which the model lists without walking the tree.
  fileNodes(model, source) {
    const nodes: Node[] = [];
    for (const scope of classScopes(model.module)) nodes.push(scope.node);
    for (const m of model.attributeAssignments()) {
      LINK_SHAPE.lastIndex = model.mutationStart(m);
      if (LINK_SHAPE.test(source) && m.node.type === "assignment") nodes.push(m.node);
    }
    return nodes;
  },
});

function isClassKeyword(source: string, offset: number): boolean {
  return source.startsWith("class", offset) && !isIdentifierPartAt(source, offset + 5);
}

/**
 * MH301, reference-cycle: instances that point at each other, so that only the cyclic garbage
 * collector frees them. This file holds the rule object and its dispatch; the checks live beside
 * it: `links.ts` (two objects linked in both directions, self-references) and `parents.ts`
 * (parents and children), with `sites.ts` (which methods can link at all), `stores.ts` (what
 * methods store), `lifecycle.ts` (attributes the code already makes weak or releases) and
 * `fix.ts` (the weak property and its import).
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
    what: [
      "Finds classes whose instances point at each other, so that they form reference cycles: a child",
      "pointed back at the parent that keeps it (`child.parent = self` with `self.children.append(child)`;",
      "`self.parent = parent` in `__init__` where the parent class keeps the children it creates, or where",
      "`__init__` adds the instance to `parent.children`), two objects linked in both directions (`a.next =",
      "b; b.prev = a`, `other.partner = self; self.partner = other`, on instances of classes defined in the",
      "file or on `self`), and an instance that references itself (`self.me = self`).",
    ].join(" "),
    why: [
      "CPython frees an object the moment its reference count drops to zero, except when it is part of a",
      "cycle: then the count never reaches zero, and the objects wait for the cyclic garbage collector.",
      "Long-lived cycles end up in the oldest generation, which is collected rarely, so the whole structure",
      "(every node, and every list, buffer or array it references) stays in memory long after the program",
      "dropped it, then is freed in bulk during a collection that pauses the program for a time",
      "proportional to everything tracked. With `gc.disable()` it is not freed at all until something calls",
      "`gc.collect()`. A weak back-reference keeps the structure tree-shaped: dropping the root frees it at",
      "once.",
    ].join(" "),
    example: [
      "class Node:",
      "    def __init__(self, name):",
      "        self.name = name",
      "        self.parent = None",
      "        self.children = []",
      "",
      "    def add_child(self, child):",
      "        child.parent = self",
      "        self.children.append(child)",
      "        return child",
    ].join("\n"),
    useInstead: [
      "import weakref",
      "",
      "class Node:",
      "    def __init__(self, name):",
      "        self.name = name",
      "        self.parent = None",
      "        self.children = []",
      "",
      "    def add_child(self, child):",
      "        child.parent = self",
      "        self.children.append(child)",
      "        return child",
      "",
      "    @property",
      "    def parent(self):",
      "        ref = self._parent_ref",
      "        return ref() if ref is not None else None",
      "",
      "    @parent.setter",
      "    def parent(self, value):",
      "        self._parent_ref = weakref.ref(value) if value is not None else None",
    ].join("\n"),
    fixSafety: [
      "The fix is always unsafe. It stores the back-reference as a `weakref.ref` behind a property with the",
      "attribute's old name (on the class that holds the attribute, which must be defined in the file), so",
      "reads and writes of `x.parent` keep working, `None` stays `None`, and `is` comparisons still hold.",
      "What changes: an object that was kept alive only by its back-reference now dies (a child kept while",
      "its tree was dropped sees `parent` become `None`); the instance stores `_parent_ref` instead of",
      "`parent` (`__dict__`, `vars()`, `copy` and `pickle` see the difference, and `copy.deepcopy` would",
      "leave the copy pointing at the original, so files using them get no fix); values that cannot be",
      "weakly referenced (ints, strings, tuples, instances of classes with `__slots__` lacking",
      "`__weakref__`) raise `TypeError` when assigned. No fix is offered when the class of the object",
      "stored weakly is unknown (a parameter with no annotation, unless exactly one class of the file keeps",
      "children in the container it is added to) or cannot be weakly referenced (`__slots__` without",
      "`__weakref__`, subclasses of `int`, `tuple`, `bytes`, named tuples), when the holder's class is",
      "unknown or has `__slots__`, decorators (dataclasses), attribute hooks, or a member of that name; for",
      "links with no clear back-reference (`a.peer = b; b.peer = a`, a circular list, or `self.partner =",
      "Partner(partner=self)`, where one attribute holds both directions), since making either direction",
      "weak would let the structure die; or when `weakref` is bound to something else. `weakref.proxy` is",
      "not used: a proxy is not the object (`is`, `isinstance` and hashing differ).",
    ].join(" "),
    limits: [
      "Sees cycles of two objects (or one) whose links are written in one method, function or module body,",
      "or through a helper method of the same class; longer cycles (`a.next = b; b.next = c; c.next = a`),",
      "links made through containers other than attributes of `self`, and objects of classes from other",
      "modules are not followed. Two objects linked at module or function level must both be instances of",
      "classes defined in the file. A parent that keeps its children through its own method",
      "(`parent.add(self)`) or a list literal (`self.items = [Child(self)]`) is not followed. Silent when",
      "either link already goes through `weakref` (`weakref.ref`, `weakref.proxy`, `WeakSet`,",
      "`WeakValueDictionary`, `WeakKeyDictionary`, any import style: an attribute name assigned a `weakref`",
      "object anywhere in the file counts as weak everywhere in it), when the attribute is a property or",
      "descriptor of the holder's class (or of any class in the file when the holder is unknown); for",
      "one-directional links (singly linked lists, parent pointers that no parent ever stores its children",
      "behind, `self` handed to an object that `self` does not keep). Silent when the code breaks the cycle",
      "itself: a teardown method anywhere in the file (a name made of words such as `close`, `destroy`,",
      "`dispose`, `teardown`/`tearDown`, `shutdown`, `cleanup`, `release`, `unlink`, `disconnect`,",
      "`finish`, `stop`, `connection_lost`, `__exit__`; not `__del__`, which runs only once the cycle is",
      "collected, and not `test_*` functions) sets an attribute of either link's name to None or a fresh",
      "empty object, deletes it or clears it, or a later statement of the same function (or the `finally`",
      "of a `try` around the link) replaces the link; the attribute names are matched file-wide, so a",
      "teardown of an unrelated class that resets an attribute of the same name also silences the rule.",
      "Silent for protocol attributes (`module.__loader__ = self`, any `__name__`-shaped attribute) in",
      "links between two objects, and when the object is a class rather than an instance: methods of",
      "metaclasses (subclasses of `type`, `abc.ABCMeta`, `enum.EnumMeta`), `__init_subclass__`,",
      "`__class_getitem__` and `__new__`, and methods whose first parameter is `cls`, `mcs`, `mcls` or",
      "`metacls`. No ruff or pylint rule finds reference cycles: this rule has no peer.",
    ].join(" "),
  },
  nodeTypes: ["class_definition", "assignment"],
  check(node, ctx) {
    // `class` is a keyword, so no assignment starts with it: no need to ask the node its type.
    if (isClassKeyword(ctx.source, node.startIndex)) checkClass(node, ctx);
    else checkAttributeLink(node, ctx);
  },
  /**
   * The escape hatch of incremental linting (types.ts, Rule.fileNodes): after an edit inside one
   * function, the engine runs MH301 again on every class and every assignment that can be a link,
   * listed here from the model without walking the tree, instead of keeping its other findings.
   * A kept finding could be stale, because the checks read far beyond the node they report on:
   *   - a class check reads the bodies of other functions: every method of the class that hands
   *     its instance over, the helpers those call (`self.helper(child)`), and the `__init__` of
   *     other classes (`Child(self)` counts only if `Child.__init__` stores that parameter);
   *   - both checks ask file-wide questions that read every function (lifecycle.ts): is an
   *     attribute of that name made weak somewhere, released by a teardown method, assigned a
   *     literal; and which class is the only one to use `self.<attr>` (stores.ts);
   *   - messages quote the line of another node (the storage, the partner link), which an edit
   *     above it moves, while the engine only moves kept findings and keeps their messages;
   *   - the fix reads text it does not edit: the whole file (`__dict__`, `vars(`, `copy` or
   *     `pickle` imports block it), the module's imports, the comment lines after the holder's
   *     last statement.
   * Dropping it would take: those file-wide questions and "what does this method store, which
   * `__init__` parameters does this class keep" asked of the engine's facts layer, which records
   * each kind asked with a summary of what it reads in one function (as `FACT_SUMMARIES` does
   * for the singleton check) and lints in full when an edit changes one; the engine re-checking
   * the class around an edited method; messages that quote only the reported node; and a fix
   * that reads nothing beyond what the engine already compares (its edits' neighbourhood and the
   * module's first statement).
   */
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

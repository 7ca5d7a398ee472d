/**
 * Annotations that allow few values: `bool`, `None`, `Literal[...]`, an enum class of the file,
 * and `Optional`/`Union`/`|` of those. A parameter annotated so can only take a handful of values
 * (a cache keyed by it stays small; a value of it is bounded by the code).
 */
import type { Node } from "web-tree-sitter";
import { type Scope, type SemanticModel, unparenthesize } from "../model.js";
import type { ClassFacts } from "./classes.js";

const LITERAL_TYPES: ReadonlySet<string> = new Set(["typing.Literal", "typing_extensions.Literal"]);
const OPTIONAL_TYPES: ReadonlySet<string> = new Set(["typing.Optional", "typing_extensions.Optional"]);
const UNION_TYPES: ReadonlySet<string> = new Set(["typing.Union", "typing_extensions.Union"]);

/** Whether `annotation` (a type, or its expression) admits few values. */
export function admitsFewValues(annotation: Node, model: SemanticModel, classes: ClassFacts, scope: Scope): boolean {
  let node = unparenthesize(annotation);
  if (node.type === "type") {
    const inner = node.namedChild(0);
    if (!inner) return false;
    node = unparenthesize(inner);
  }
  switch (node.type) {
    case "none":
      return true;
    case "identifier":
    case "attribute": {
      if (model.qualifiedName(node, scope) === "builtins.bool") return true;
      const classNode = classes.definitionOf(node, scope);
      return classNode !== null && classes.isEnum(classNode);
    }
    case "string": {
      // A forward reference: `"Color"`.
      const content = node.namedChildren.filter((c) => c?.type === "string_content");
      const text = content.length === 1 ? content[0]?.text ?? "" : "";
      if (!/^[A-Za-z_]\w*$/.test(text)) return false;
      const bindings = model.lookup(text, scope);
      if (bindings.length === 0) return text === "bool" && !model.hasStarImport && model.resolveScope(text, scope) === null;
      if (bindings.length !== 1 || bindings[0].kind !== "class" || bindings[0].statement.type !== "class_definition") return false;
      return classes.isEnum(bindings[0].statement);
    }
    case "binary_operator": {
      const left = node.childForFieldName("left");
      const right = node.childForFieldName("right");
      return node.childForFieldName("operator")?.type === "|" && !!left && !!right
        && admitsFewValues(left, model, classes, scope) && admitsFewValues(right, model, classes, scope);
    }
    case "subscript": {
      const value = node.childForFieldName("value");
      const items = node.childrenForFieldName("subscript").filter((c): c is Node => c !== null);
      return value !== null && fewValuedGeneric(model.qualifiedName(value, scope), items, model, classes, scope);
    }
    case "generic_type": {
      const head = node.namedChild(0);
      const parameters = node.namedChildren.find((c) => c?.type === "type_parameter");
      const items = (parameters?.namedChildren ?? []).filter((c): c is Node => c !== null && c.type !== "comment");
      return head !== null && fewValuedGeneric(model.qualifiedName(head, scope), items, model, classes, scope);
    }
    default:
      return false;
  }
}

function fewValuedGeneric(qualified: string | null, items: Node[], model: SemanticModel, classes: ClassFacts, scope: Scope): boolean {
  if (!qualified) return false;
  if (LITERAL_TYPES.has(qualified)) return true;
  if (OPTIONAL_TYPES.has(qualified)) return items.length === 1 && admitsFewValues(items[0], model, classes, scope);
  if (UNION_TYPES.has(qualified)) return items.length > 0 && items.every((item) => admitsFewValues(item, model, classes, scope));
  return false;
}

/** A parameter (a node of a parameter list) annotated with a type that admits few values. */
export function isFewValuedParameter(parameter: Node, model: SemanticModel, classes: ClassFacts, scope: Scope): boolean {
  if (parameter.type !== "typed_parameter" && parameter.type !== "typed_default_parameter") return false;
  const first = parameter.namedChild(0);
  if (first?.type === "list_splat_pattern" || first?.type === "dictionary_splat_pattern") return false;
  const annotation = parameter.childForFieldName("type");
  return annotation !== null && admitsFewValues(annotation, model, classes, scope);
}

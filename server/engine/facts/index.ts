/**
 * The engine's facts layer: what rules need to know about the code beyond the semantic model,
 * computed once per lint and shared by every rule (`ctx.facts`). Rules ask; they never import
 * each other, and keep no lists of their own of what is bounded, a singleton or recursive.
 *
 * Incremental linting re-checks only an edited function and keeps other findings, which is exact
 * only if nothing another check read changed. The model records the module names checks asked
 * about; here, each fact that reads function bodies records its kind when asked, and has a
 * summary of what it reads in one function (`FACT_SUMMARIES`). An edit that changes the summary
 * of a kind some check asked for lints the whole file. A rule that only asks the model and the
 * facts therefore needs no incremental reasoning of its own.
 */
import type { Node } from "web-tree-sitter";
import type { Scope, SemanticModel } from "../model.js";
import type { SummaryContext } from "../types.js";
import { isFewValuedParameter } from "./annotations.js";
import { ClassFacts, SINGLETON_FACT, singletonReads } from "./classes.js";
import { ContextFacts, RUNS_ONCE_FACT, runsOnceReads } from "./context.js";
import { type CacheDecorator, cacheDecoratorOf } from "./decorators.js";
import { PROVENANCE_FACT, ProvenanceFacts, provenanceReads } from "./provenance.js";
import { EvidenceFacts } from "./evidence.js";
import { callsItself, methodAttributeNames } from "./recursion.js";

export type { ClassInfo, MethodInfo, MethodShape, Parameter } from "./classes.js";
export { classScopes, enclosingClass, parameterList } from "./classes.js";
export type { CacheBound, CacheDecorator } from "./decorators.js";
export { decoratorText, isStubFunction } from "./decorators.js";
export type { Origin, Provenance } from "./provenance.js";
export type { RunsOnce } from "./context.js";
export { isTestFile } from "./context.js";

/** The fact kind recorded when a method is asked whether it calls itself. */
const METHOD_CALLS_FACT = "method-calls";

/** What each kind of fact reads of one function's body (or of class-level statements, `fn` null). */
export const FACT_SUMMARIES: Readonly<Record<string, (fn: Node | null, ctx: SummaryContext) => string>> = {
  [SINGLETON_FACT]: singletonReads,
  [METHOD_CALLS_FACT]: (fn, ctx) => methodAttributeNames(fn, ctx.model, ctx.bodyStart, ctx.bodyEnd),
  [PROVENANCE_FACT]: provenanceReads,
  [RUNS_ONCE_FACT]: runsOnceReads,
};

export class Facts {
  readonly classes: ClassFacts;
  private provenanceFacts: ProvenanceFacts | null = null;
  private contextFacts: ContextFacts | null = null;
  private evidenceFacts: EvidenceFacts | null = null;

  /** `path`: the file's path as the front end names it (null when unknown, as for stdin). */
  constructor(readonly model: SemanticModel, readonly path: string | null = null) {
    this.classes = new ClassFacts(model, () => model.queriedFacts.add(SINGLETON_FACT));
  }

  /** Where values come from: bounded by the code, run-time data, or unknown (facts/provenance.ts). */
  get provenance(): ProvenanceFacts {
    this.provenanceFacts ??= new ProvenanceFacts(this.model, this.classes, () => this.model.queriedFacts.add(PROVENANCE_FACT));
    return this.provenanceFacts;
  }

  /** Test code, and code that runs once per process (facts/context.ts). */
  get context(): ContextFacts {
    this.contextFacts ??= new ContextFacts(this.model, this.classes, this.provenance, this.path, () => this.model.queriedFacts.add(RUNS_ONCE_FACT));
    return this.contextFacts;
  }

  /** Evidence that memory is at stake: size, growth, lifetime (facts/evidence.ts). */
  get evidence(): EvidenceFacts {
    this.evidenceFacts ??= new EvidenceFacts(this.model, this.classes, this.provenance, () => this.context);
    return this.evidenceFacts;
  }

  /** A `functools.cache`/`lru_cache` decorator of a function, or null. */
  cacheDecorator(decorator: Node): CacheDecorator | null {
    return cacheDecoratorOf(decorator, this.model);
  }

  /** Whether the function may call itself before it returns (facts/recursion.ts). */
  callsItself(definition: Node): boolean {
    if (this.classes.methodShape(definition)) this.model.queriedFacts.add(METHOD_CALLS_FACT);
    return callsItself(definition, this.model);
  }

  /** A parameter annotated with a type that admits few values (`bool`, `Literal`, an enum...). */
  isFewValuedParameter(parameter: Node, scope: Scope): boolean {
    return isFewValuedParameter(parameter, this.model, this.classes, scope);
  }
}

const FACTS = new WeakMap<SemanticModel, Facts>();
/** The file's path, by module scope: the models an incremental lint derives from one full build share it. */
const PATHS = new WeakMap<Scope, string | null>();

/** Record the path of the file `model` describes, for its facts and those of the models derived from it. */
export function setFilePath(model: SemanticModel, path: string | null): void {
  PATHS.set(model.module, path);
}

/** The facts of the lint that built `model` (one object per model). */
export function factsOf(model: SemanticModel): Facts {
  let facts = FACTS.get(model);
  if (!facts) FACTS.set(model, (facts = new Facts(model, PATHS.get(model.module) ?? null)));
  return facts;
}

/** The rule registry: adding a rule is adding its module and one line here. */
import type { Rule } from "../server/engine/types.js";

export const allRules: readonly Rule[] = [];

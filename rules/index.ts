/** The rule registry: adding a rule is adding its module and one line here. */
import type { Rule } from "../server/engine/types.js";
import mh101 from "./mh101-comprehension-in-consumer.js";
import mh102 from "./mh102-loop-over-materialized.js";
import mh103 from "./mh103-read-all-lines.js";
import mh104 from "./mh104-huge-allocation.js";
import mh201 from "./mh201-unbounded-module-cache.js";
import mh202 from "./mh202-unbounded-lru-cache.js";
import mh203 from "./mh203-cache-on-method.js";
import mh204 from "./mh204-mutable-default-cache.js";
import mh301 from "./mh301/index.js";

export const allRules: readonly Rule[] = [mh101, mh102, mh103, mh104, mh201, mh202, mh203, mh204, mh301];

export function ruleByCode(code: string): Rule | undefined {
  return allRules.find((r) => r.code === code);
}

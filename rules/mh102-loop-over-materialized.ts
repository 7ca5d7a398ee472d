// PLACEHOLDER: being written now; it reports nothing until its check lands.
import { defineRule } from "../server/engine/types.js";

export default defineRule({
  code: "MH102",
  name: "loop-over-materialized",
  severity: "warning",
  fixable: "never",
  peers: [],
  docs: { what: "", why: "", example: "", useInstead: "", fixSafety: "", limits: "" },
  nodeTypes: [],
  check() {},
});

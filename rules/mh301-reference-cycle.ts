// PLACEHOLDER: being written now; it reports nothing until its check lands.
import { defineRule } from "../server/engine/types.js";

export default defineRule({
  code: "MH301",
  name: "reference-cycle",
  severity: "warning",
  fixable: "never",
  peers: [],
  docs: { what: "", why: "", example: "", useInstead: "", fixSafety: "", limits: "" },
  nodeTypes: [],
  check() {},
});

#!/usr/bin/env node
// memhint's command line; the code lives in dist/ (built by `npm run build`, run on install).
import("../dist/server/cli/main.js").then(
  (main) => main.cli(process.argv.slice(2)),
  (error) => {
    if (error && error.code === "ERR_MODULE_NOT_FOUND" && String(error.message).includes("dist/server/cli/main.js")) {
      process.stderr.write("memhint: not built yet: run `npm run build` in the memhint package first\n");
    } else {
      process.stderr.write(`memhint: cannot start: ${error && error.stack ? error.stack : error}\n`);
    }
    process.exitCode = 2;
  },
);

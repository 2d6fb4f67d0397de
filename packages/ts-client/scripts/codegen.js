#!/usr/bin/env node
// Generates the TypeScript types and clients of the three contracts from their committed
// schema (cosmwasm-schema IDL files) with @cosmwasm/ts-codegen, into OUT_DIR (emptied first).
//
//   node scripts/codegen.js SCHEMA_DIR OUT_DIR
//
// ts-codegen reads one directory per contract holding a single IDL file, so each schema file
// is copied into a directory of its own under a temporary folder first.
"use strict";

const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const codegen = require("@cosmwasm/ts-codegen").default;

// Schema file name -> name of the generated client (FlowstakeHubClient, ...).
const CONTRACTS = [
  ["flowstake-hub.json", "FlowstakeHub"],
  ["flowstake-token.json", "FlowstakeToken"],
  ["flowstake-collector.json", "FlowstakeCollector"],
];

async function main() {
  const [schemaDir, outDir] = process.argv.slice(2);
  if (!schemaDir || !outDir) {
    console.error("usage: node scripts/codegen.js SCHEMA_DIR OUT_DIR");
    process.exit(2);
  }
  const known = new Set(CONTRACTS.map(([file]) => file));
  for (const file of fs.readdirSync(schemaDir).filter((f) => f.endsWith(".json")).sort()) {
    if (!known.has(file)) {
      console.error(`codegen: warning: ${path.join(schemaDir, file)} is not generated (add it to scripts/codegen.js)`);
    }
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "flowstake-codegen-"));
  try {
    const contracts = CONTRACTS.map(([file, name]) => {
      const source = path.join(schemaDir, file);
      if (!fs.existsSync(source)) {
        throw new Error(`codegen: ${source} does not exist`);
      }
      const dir = path.join(work, name);
      fs.mkdirSync(dir);
      fs.copyFileSync(source, path.join(dir, file));
      return { name, dir };
    });
    fs.rmSync(outDir, { recursive: true, force: true });
    fs.mkdirSync(outDir, { recursive: true });
    await codegen({
      contracts,
      outPath: path.resolve(outDir),
      options: {
        bundle: { enabled: false },
        types: { enabled: true },
        client: { enabled: true },
        messageComposer: { enabled: false },
        reactQuery: { enabled: false },
        recoil: { enabled: false },
      },
    });
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});

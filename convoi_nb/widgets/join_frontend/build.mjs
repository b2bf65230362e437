// Bundles src/join.js with livekit-client into dist/join.js, the one file the Python package ships.
// The first line records a hash of the sources and the lockfile: a test recomputes it, so a bundle that was not
// rebuilt after a source change fails (tests/widgets/test_join_button.py).
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";

const here = new URL(".", import.meta.url).pathname;
export const inputs = ["package-lock.json", "build.mjs", ...readdirSync(join(here, "src")).sort().map((f) => `src/${f}`)];

const hash = createHash("sha256");
for (const input of inputs) {
  hash.update(input + "\0");
  hash.update(readFileSync(join(here, input)));
  hash.update("\0");
}

const result = await build({
  entryPoints: [join(here, "src/join.js")],
  bundle: true,
  format: "esm",
  minify: true,
  target: "es2020",
  legalComments: "none",
  write: false,
});
const stamp = `/* convoi_nb join widget; sources sha256 ${hash.digest("hex")} */\n`;
writeFileSync(join(here, "dist/join.js"), stamp + result.outputFiles[0].text);
console.log(`wrote dist/join.js (${(result.outputFiles[0].contents.length / 1024).toFixed(0)} kB)`);

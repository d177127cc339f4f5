// esbuild plugins for the single binary: swap src/embedded.ts for the generated module, and
// point libSQL's native addon (a dynamic `require` esbuild cannot follow) at the copy that
// travels inside the binary as a SEA asset.
import type { Plugin } from "esbuild";
import { readFileSync } from "node:fs";
import { join } from "node:path";

export function embeddedPlugin(contents: string): Plugin {
  return {
    name: "pounce-embedded",
    setup(b) {
      b.onLoad({ filter: /[\\/]src[\\/]embedded\.ts$/ }, () => ({ contents, loader: "ts" }));
    },
  };
}

// libsql/index.js picks `@libsql/<target>` at run time (and asks process.report, which is
// slow, which libc it runs on); the binary always carries the linux-x64-gnu addon (Node
// itself is a glibc build), loaded by src/runtime.ts binaryAddon.
export function libsqlPlugin(root: string, asset: string): Plugin {
  return {
    name: "pounce-libsql-native",
    setup(b) {
      b.onLoad({ filter: /[\\/]node_modules[\\/]libsql[\\/]index\.js$/ }, (args) => {
        const source = readFileSync(args.path, "utf8");
        const pattern = /\} = requireNative\(\);/;
        if (!pattern.test(source)) {
          throw new Error("libsql/index.js changed: `} = requireNative();` was not found");
        }
        return {
          contents: source.replace(pattern, `} = require("pounce-native:${asset}");`),
          loader: "js",
        };
      });
      b.onResolve({ filter: /^pounce-native:/ }, (args) => ({
        path: args.path.slice("pounce-native:".length),
        namespace: "pounce-native",
      }));
      b.onLoad({ filter: /.*/, namespace: "pounce-native" }, (args) => ({
        contents: `module.exports = require(${
          JSON.stringify(join(root, "src/runtime.ts"))
        }).binaryAddon(${JSON.stringify(args.path)});`,
        loader: "js",
        resolveDir: root,
      }));
    },
  };
}

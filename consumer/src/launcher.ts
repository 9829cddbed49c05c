/**
 * dist/worker.cjs, what the image runs: signal handlers first (a pod can be stopped while it loads), then the V8
 * code-cache loader for the bundle's files, then the CLI (dist/cli.cjs and the chunks it needs). See scripts/build.mjs.
 */
import "./earlySignals";
import { join } from "node:path";
import { codeCacheMode, installCodeCache } from "./codeCache";

installCodeCache(__dirname, join(__dirname, "cache"), codeCacheMode(process.env));
require("./cli.cjs");

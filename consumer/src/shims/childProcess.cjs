/**
 * Stands in for `node:child_process` in commander only (scripts/bundleTweaks.mjs): commander loads it at start for
 * executable subcommands (`program.command("x", "desc")` runs a file `prog-x`), which this CLI does not have. Loading
 * it (with dgram and the socket list) costs a Job's start ~3-7 ms (issue 15); here it loads on first use, if ever.
 */
"use strict";
module.exports = new Proxy({}, { get: (_, key) => require("node:child_process")[key] });

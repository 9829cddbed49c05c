/** The file the Dockerfile copies is the file the tests run, and it starts. */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { BUNDLE, runCli } from "./support/processes";

describe("bundled worker", () => {
    it("is what the Dockerfile's runtime stage copies and runs: the whole dist/ (entry, chunks, code cache)", () => {
        const dockerfile = readFileSync(join(__dirname, "..", "Dockerfile"), "utf8");
        const copy = /^COPY --from=build \S*\/consumer\/(dist) (\S+)$/m.exec(dockerfile);
        expect(copy?.[1]).toBe("dist");
        expect(dockerfile).toContain(`ENTRYPOINT ["node", "${copy?.[2]}/worker.cjs"]`);
        expect(BUNDLE.endsWith(join("consumer", "dist", "worker.cjs"))).toBe(true);
        for (const f of ["worker.cjs", "cli.cjs", "packages.json", "cache"]) expect(existsSync(join(dirname(BUNDLE), f)), f).toBe(true);
    });

    it("the build stage and the runtime stage run the same Node (the code cache is only valid for the Node that made it)", () => {
        const dockerfile = readFileSync(join(__dirname, "..", "Dockerfile"), "utf8");
        const froms = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
        // build, the runtime's file system (the base without npm, yarn, corepack), and the runtime from scratch holding
        // that file system: its Node is the build stage's (test/images/ builds and runs it: the cache is accepted).
        expect(froms).toEqual(["${NODE_IMAGE}", "${NODE_IMAGE}", "scratch"]);
        expect(dockerfile).toMatch(/^COPY --from=runtime-fs \/ \/$/m);
        expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:\d+\.\d+\.\d+-/m);
    });

    it("prints help with its three commands and exits 0", async () => {
        const r = await runCli(["--help"]);
        expect(r.code).toBe(0);
        const help = r.lines.join("\n");
        for (const cmd of ["work", "send", "verify"]) expect(help).toMatch(new RegExp(`^\\s+${cmd} `, "m"));
    });

    it("refuses conflicting flags with a clear error, not a crash", async () => {
        const r = await runCli(["work", "--once", "--drain", "--connection-string", "UseDevelopmentStorage=true"]);
        expect(r.code).toBe(1);
        expect(r.output).toMatch(/--once and --drain exclude each other/);
    });
});

/** The file the Dockerfile copies is the file the tests run, and it starts. */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BUNDLE, runCli } from "./support/processes";

describe("bundled worker", () => {
    it("is what the Dockerfile's runtime stage copies", () => {
        const dockerfile = readFileSync(join(__dirname, "..", "Dockerfile"), "utf8");
        const copy = /COPY --from=build \S*\/(dist\/worker\.cjs) /.exec(dockerfile);
        expect(copy?.[1]).toBe("dist/worker.cjs");
        expect(BUNDLE.endsWith(join("consumer", "dist", "worker.cjs"))).toBe(true);
        expect(existsSync(BUNDLE)).toBe(true);
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

/**
 * The worker image builds from the repository root (npm workspaces keep the one lockfile there): the build must
 * be sent every file the Dockerfile copies, and nothing else (node_modules, .git, stack files).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runProgram } from "./harness/runProgram";
import { REPO_ROOT } from "./harness/stackConfig";

const dockerfile = readFileSync(join(REPO_ROOT, "consumer", "Dockerfile"), "utf8");
const ignore = readFileSync(join(REPO_ROOT, ".dockerignore"), "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));

/** COPY sources from the build context (not --from=stage copies). */
const copied = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1].split(/\s+/));

describe("worker image build context", () => {
    it("ignores everything by default and re-includes exactly what the Dockerfile copies", () => {
        expect(ignore[0]).toBe("*");
        const included = ignore.filter((l) => l.startsWith("!")).map((l) => l.slice(1));
        expect(copied.length).toBeGreaterThan(0);
        for (const source of copied) expect(included, `${source} is copied but not sent to the build`).toContain(source);
        expect(included.filter((i) => !copied.includes(i) && i !== "consumer/Dockerfile")).toEqual([]);
    });

    it("installs the consumer workspace alone from the root lockfile", () => {
        expect(dockerfile).toMatch(/^COPY package\.json package-lock\.json \.\/$/m);
        expect(dockerfile).toMatch(/^RUN npm ci --workspace consumer\b/m);
    });

    it("is built by the stacks from the root context with consumer/Dockerfile", async () => {
        const run = await runProgram("dev");
        const image = run.one("docker:index/image:Image");
        expect(image.inputs.build.context).toBe(REPO_ROOT);
        expect(image.inputs.build.dockerfile).toBe(join(REPO_ROOT, "consumer", "Dockerfile"));
    });
});

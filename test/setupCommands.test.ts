/**
 * Set-up is two commands: README's install command, then its test command, on a fresh clone. CI runs exactly
 * those; the install is one command (npm workspaces) and clean of engine warnings on the Node version we state.
 */
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import semver from "semver";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "./harness/stackConfig";

const read = (f: string) => readFileSync(join(REPO_ROOT, f), "utf8");
const pkg = JSON.parse(read("package.json"));

/** The shell commands in README's "Set up" block (between its markers), in order. */
function readmeSetup(): string[] {
    const m = /<!-- setup:start -->\s*```sh\n([\s\S]*?)```\s*<!-- setup:end -->/.exec(read("README.md"));
    if (!m) throw new Error("README.md has no ```sh block between <!-- setup:start --> and <!-- setup:end -->");
    return m[1].split("\n").map((l) => l.replace(/#.*$/, "").trim()).filter(Boolean);
}

describe("set-up from a fresh clone", () => {
    it("README's set-up is one install command and one test command", () => {
        expect(readmeSetup()).toEqual(["npm ci", "npm test"]);
    });

    it(".ci/run runs exactly README's commands and nothing else that installs or tests", () => {
        const commands = read(".ci/run")
            .split("\n")
            .map((l) => l.trim())
            .filter((l) => /^(npm|npx|node|yarn|pnpm)\b/.test(l) && l !== "node --version")
            .map((l) => l.replace(/ --no-audit --no-fund$/, ""));
        expect(commands).toEqual(readmeSetup());
    });

    it("one install covers the consumer: it is an npm workspace and has no lockfile of its own", () => {
        expect(pkg.workspaces).toContain("consumer");
        expect(existsSync(join(REPO_ROOT, "consumer", "package-lock.json"))).toBe(false);
        const lock = JSON.parse(read("package-lock.json"));
        expect(lock.packages["node_modules/kedascale-consumer"]).toMatchObject({ link: true, resolved: "consumer" });
    });

    it("the Node version is stated once (.nvmrc) and agrees with engines", () => {
        const nvmrc = read(".nvmrc").trim();
        expect(semver.satisfies(semver.minVersion(pkg.engines.node)!, `${nvmrc}.x`)).toBe(true);
        expect(semver.satisfies(process.version, pkg.engines.node)).toBe(true);
    });

    it("every locked package accepts the lowest Node we state, so `npm ci` prints no engine warning", () => {
        const lowest = semver.minVersion(pkg.engines.node)!.version;
        const lock = JSON.parse(read("package-lock.json"));
        const refusing = Object.entries(lock.packages as Record<string, { version?: string; optional?: boolean; engines?: { node?: string } }>)
            // npm skips an optional package whose engines refuse this Node, silently (rollup lists one such).
            .filter(([, p]) => !p.optional && typeof p.engines?.node === "string" && !semver.satisfies(lowest, p.engines.node, { includePrerelease: true }))
            .map(([path, p]) => `${path}@${p.version}: node ${p.engines!.node}`);
        expect(refusing).toEqual([]);
    });

    it("every dependency of the root and of each workspace is pinned to an exact version", () => {
        const workspaces = (pkg.workspaces as string[]).map((w) => JSON.parse(read(`${w}/package.json`)));
        const ranges = [pkg, ...workspaces].flatMap((p) =>
            Object.entries({ ...p.dependencies, ...p.devDependencies } as Record<string, string>)
                .filter(([, v]) => !semver.valid(v))
                .map(([n, v]) => `${p.name}: ${n}@${v}`),
        );
        expect(ranges).toEqual([]);
    });
});

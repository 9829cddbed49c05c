/**
 * The image rehearsal's decisions (test/images/, `npm run rehearse`; it runs after the suite in `npm test`): that it
 * builds what the stacks build — found from the program itself, so a new image is picked up — from a clone's files,
 * on stand-ins of the very bases the Dockerfiles pin, and that what it cannot do here is named, never skipped silently.
 * The builds and runs themselves are the rehearsal's (docs/images.md).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runProgram } from "./harness/runProgram";
import { REPO_ROOT } from "./harness/stackConfig";
import { fromLines, localName, pulledBases, standInFor, unreachableSteps } from "./images/bases";
import { cloneFiles } from "./images/cleanCopy";
import { buildsOf, exampleBuilds, mergeBuilds } from "./images/discover";
import { bundledVersions } from "./images/standIns";

const workerDockerfile = readFileSync(join(REPO_ROOT, "consumer", "Dockerfile"), "utf8");

describe("what the rehearsal builds", () => {
    it("is what the program registers as docker images, per stack, merged by build (the worker once, named by every stack)", async () => {
        const dev = await runProgram("dev");
        const local = await runProgram("local");
        const builds = mergeBuilds([buildsOf("dev", dev.resources, REPO_ROOT), buildsOf("local", local.resources, REPO_ROOT)]);
        const worker = builds.find((b) => b.dockerfile === "consumer/Dockerfile");
        expect(worker).toMatchObject({ context: ".", args: {} });
        expect(worker!.builtBy).toEqual(["dev/worker-image", "local/worker-image"]);
        expect(builds).toHaveLength(1);
    });

    it("refuses a build context outside the repository (the rehearsal builds from a copy of it)", () => {
        const image = { type: "docker:index/image:Image", name: "x-image", inputs: { build: { context: "/elsewhere", dockerfile: "/elsewhere/Dockerfile" } }, id: "", dependsOn: [], ignoreChanges: [] };
        expect(() => buildsOf("dev", [image], REPO_ROOT)).toThrow(/stack dev, image x-image: its build context \/elsewhere is outside the repository/);
    });

    it("also builds every examples/ Dockerfile no stack builds, from its own folder", () => {
        const files = ["examples/a/Dockerfile", "examples/b/c/Dockerfile", "examples/b/c/handler.py", "consumer/Dockerfile", "examples/a/Dockerfile.md"];
        const extra = exampleBuilds(files, [{ context: "examples/a", dockerfile: "examples/a/Dockerfile", args: {}, builtBy: ["team/a"] }]);
        expect(extra).toEqual([{ context: "examples/b/c", dockerfile: "examples/b/c/Dockerfile", args: {}, builtBy: ["examples/ (no stack builds it)"] }]);
    });

    it("copies a clone's files: tracked and new unignored files, no node_modules, no build output", async () => {
        const files = await cloneFiles(REPO_ROOT);
        expect(files).toContain("consumer/Dockerfile");
        expect(files).toContain(".dockerignore");
        expect(files).toContain("test/images.rehearsal.test.ts");
        expect(files.filter((f) => f.startsWith("node_modules/") || f.includes("/node_modules/") || f.startsWith("consumer/dist/"))).toEqual([]);
    });
});

describe("stand-in bases", () => {
    it("the worker's build and runtime both stand on the pinned Node image, made from Node's official build at that exact version", () => {
        expect(fromLines(workerDockerfile).map((f) => f.written)).toEqual(["${NODE_IMAGE}", "${NODE_IMAGE}", "scratch"]);
        const [base] = pulledBases(workerDockerfile);
        expect(pulledBases(workerDockerfile)).toEqual([base]);
        const version = /^node:(\d+\.\d+\.\d+)-bookworm-slim$/.exec(base)?.[1];
        expect(version, `consumer/Dockerfile pins ${base}`).toBeDefined();
        expect(standInFor(base)).toEqual({ kind: "node", ref: base, version, debian: "docker.io/library/debian:bookworm-slim" });
    });

    it("build args override an ARG default, and a stage name is not a base", () => {
        const df = "ARG BASE=debian:bookworm-slim\nFROM ${BASE} AS one\nFROM one\nFROM scratch\nCOPY --from=one / /\n";
        expect(pulledBases(df)).toEqual(["debian:bookworm-slim"]);
        expect(pulledBases(df, { BASE: "node:22.23.5-bookworm-slim" })).toEqual(["node:22.23.5-bookworm-slim"]);
    });

    it("stands in for Debian bookworm by any tag, and for a digest-pinned base by its tag", () => {
        for (const ref of ["debian:bookworm-slim", "debian:bookworm-20260918-slim@sha256:3783cc01769c7b2b1b83a5c5ad96c815348e28ed7da68e2e3687004faa906251", "debian:12.12-slim", "docker.io/library/debian:bookworm"]) {
            expect(standInFor(ref), ref).toMatchObject({ kind: "debian", suite: "bookworm" });
        }
        expect(localName("python:3.11-slim-bookworm@sha256:2e32f7d302adc1c37428355c1e646897c0c53f4fd60b6a551245fb90ee129f91")).toBe("docker.io/library/python:3.11-slim-bookworm");
        expect(standInFor("python:3.11-slim-bookworm")).toMatchObject({ kind: "python", version: "3.11" });
    });

    it("names what it cannot make, and why", () => {
        const cases: [string, RegExp][] = [
            ["node:22-bookworm-slim", /exact version/],
            ["node:22.23.5-alpine3.22", /only node:<x\.y\.z>-bookworm-slim/],
            ["debian:trixie-slim", /only Debian bookworm/],
            ["mcr.microsoft.com/azure-cli:2.67.0", /no recipe for mcr\.microsoft\.com\/azure-cli/],
            ["ubuntu", /no tag/],
        ];
        for (const [ref, why] of cases) expect(standInFor(ref), ref).toEqual({ kind: "skip", ref, reason: expect.stringMatching(why) });
    });

    it("a build step that needs PyPI (unreachable here) is a named skip; npm and Debian's mirrors are reachable", () => {
        const df = "FROM python:3.11-slim-bookworm\nRUN pip install --no-cache-dir -r requirements.txt\nRUN python3 -m pip install \\\n  x==1\nRUN pip install --no-index --find-links /w x\nRUN npm ci\nRUN apt-get install -y python3-azure\n";
        expect(unreachableSteps(df)).toEqual([
            "`RUN pip install --no-cache-dir -r requirements.txt` installs from PyPI, which this machine cannot reach",
            "`RUN python3 -m pip install    x==1` installs from PyPI, which this machine cannot reach",
        ]);
    });

    it("takes the npm and corepack a Node release bundles from its changelog (the latest update at or below its entry)", () => {
        const changelog = [
            '<a id="22.23.5"></a>', "## 22.23.5", "* deps: update sqlite",
            '<a id="22.23.4"></a>', "## 22.23.4", "* **deps**: upgrade npm to 10.9.9", "* **deps**: update corepack to 0.36.0",
            '<a id="22.23.3"></a>', "* **deps**: upgrade npm to 10.9.8", "* **deps**: update corepack to 0.35.0",
        ].join("\n");
        expect(bundledVersions(changelog, "22.23.5")).toEqual({ npm: "10.9.9", corepack: "0.36.0" });
        expect(bundledVersions(changelog, "22.23.3")).toEqual({ npm: "10.9.8", corepack: "0.35.0" });
        expect(bundledVersions(changelog, "22.99.0")).toEqual({});
    });
});

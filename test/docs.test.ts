/**
 * The documentation a newcomer reads stays true to the code: README stays short enough to read in five minutes, every
 * link in README and docs/ leads somewhere, every `npm run` command shown exists and is run by a test, the table of
 * every config key is the one generated from the schema, and every family of preflight rules has its row in docs/preflight.md. (The flag
 * and bench tables are generated and drift-tested by consumer/test/cliHelp.test.ts and the bench itself.)
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { configReferenceTable, keysSection } from "./harness/configReference";
import { REPO_ROOT } from "./harness/stackConfig";

const read = (f: string) => readFileSync(join(REPO_ROOT, f), "utf8");
const docFiles = ["README.md", ...readdirSync(join(REPO_ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];

/** GitHub's heading anchors: lower case, punctuation but '-' and '_' dropped, spaces to '-'. */
function anchors(markdown: string): Set<string> {
    const out = new Set<string>();
    for (const m of markdown.matchAll(/^#{1,6} (.+)$/gm)) {
        out.add(
            m[1]
                .trim()
                .toLowerCase()
                .replace(/[^\p{L}\p{N} _-]/gu, "")
                .replace(/ /g, "-"),
        );
    }
    return out;
}

describe("README and docs/", () => {
    it("README is short enough to read in five minutes (≤ 250 lines) and links every docs/ file", () => {
        const readme = read("README.md");
        expect(readme.split("\n").length).toBeLessThanOrEqual(250);
        const linked = new Set([...readme.matchAll(/\]\((docs\/[^)#]+)/g)].map((m) => m[1]));
        const missing = docFiles.filter((f) => f.startsWith("docs/") && !linked.has(f));
        expect(missing, "docs/ files README's map does not link").toEqual([]);
    });

    it("every docs/ file starts with what it is for (a title, then a sentence)", () => {
        for (const f of docFiles.filter((d) => d.startsWith("docs/"))) {
            const [title, blank, purpose] = read(f).split("\n");
            expect(title, f).toMatch(/^# \S/);
            expect(blank, f).toBe("");
            expect(purpose, f).toMatch(/^[A-Z`*].{30,}/);
        }
    });

    it("every relative link leads to a file that exists, and every anchor to a heading in it", () => {
        const broken: string[] = [];
        for (const f of docFiles) {
            const text = read(f);
            for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
                const target = m[1];
                if (/^[a-z]+:/.test(target)) continue;
                const [path, anchor] = target.split("#");
                const file = path ? resolve(dirname(join(REPO_ROOT, f)), path) : join(REPO_ROOT, f);
                if (!existsSync(file)) {
                    broken.push(`${f}: ${target} (no such file)`);
                    continue;
                }
                if (anchor && file.endsWith(".md") && !anchors(readFileSync(file, "utf8")).has(anchor)) {
                    broken.push(`${f}: ${target} (no heading #${anchor} in ${relative(REPO_ROOT, file)})`);
                }
            }
        }
        expect(broken).toEqual([]);
    });

    it("every `npm run` command shown exists and is run by a test", () => {
        const scripts = JSON.parse(read("package.json")).scripts as Record<string, string>;
        const shown = new Set<string>();
        const consumerScripts = JSON.parse(read("consumer/package.json")).scripts as Record<string, string>;
        const shownInConsumer = new Set<string>();
        for (const f of docFiles)
            for (const m of read(f).matchAll(/npm run ([a-z][\w:-]*)( --prefix consumer)?/g)) (m[2] ? shownInConsumer : shown).add(m[1]);
        for (const name of shownInConsumer) expect(consumerScripts[name], `npm run ${name} --prefix consumer`).toBeDefined();
        expect(shown.size).toBeGreaterThan(3);
        const tests = [
            ...readdirSync(join(REPO_ROOT, "test")).filter((t) => t.endsWith(".test.ts")).map((t) => `test/${t}`),
            ...readdirSync(join(REPO_ROOT, "consumer", "test")).filter((t) => t.endsWith(".test.ts")).map((t) => `consumer/test/${t}`),
        ].map((t) => read(t));
        const problems: string[] = [];
        for (const name of shown) {
            const script = scripts[name];
            if (!script) {
                problems.push(`npm run ${name}: no such script in package.json`);
                continue;
            }
            // The script's own entry file (e.g. timeline/simulate.ts) or the command itself must appear in a test.
            const entry = /(?:tsx|node)\s+(\S+\.(?:ts|mjs|cjs|js))/.exec(script)?.[1];
            const run = tests.some((t) => t.includes(`npm run ${name}`) || (entry !== undefined && t.includes(entry)) || t.includes(`"${name}"`));
            if (!run) problems.push(`npm run ${name} (${script}): no test runs it`);
        }
        expect(problems).toEqual([]);
    });

    it("docs/configuration.md holds exactly the key table generated from the schema", () => {
        const section = keysSection(read("docs/configuration.md"));
        expect(section, "docs/configuration.md needs <!-- keys:start --> … <!-- keys:end -->").toBeDefined();
        expect(section, "regenerate with: npx tsx test/harness/configReference.ts --write").toBe(configReferenceTable());
    });

    it("every rules file of preflight has its row in docs/preflight.md", () => {
        const preflight = read("docs/preflight.md");
        const files = readdirSync(join(REPO_ROOT, "components", "config", "rules")).filter((f) => f.endsWith(".ts"));
        expect(files.filter((f) => !preflight.includes(`\`${f}\``))).toEqual([]);
    });
});

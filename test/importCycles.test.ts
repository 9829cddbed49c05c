/**
 * No import circles in the program (issue 26 point 3; BRIEF: "no import circles"): every relative import of
 * components/ and index.ts — type-only imports and re-exports included, since a circle of types is still two modules
 * that cannot be understood apart — forms a graph without a cycle. A small madge: resolve `./x` to x.ts or x/index.ts.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "./harness/stackConfig";

function sources(dir: string): string[] {
    return readdirSync(dir).flatMap((f) => {
        const p = join(dir, f);
        return statSync(p).isDirectory() ? sources(p) : p.endsWith(".ts") ? [p] : [];
    });
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s*["'](\.{1,2}\/[^"']+)["']/g;

function resolveImport(from: string, spec: string): string | undefined {
    const base = join(dirname(from), spec);
    return [`${base}.ts`, join(base, "index.ts"), base].find((p) => existsSync(p) && statSync(p).isFile());
}

export function importGraph(files: string[]): Map<string, string[]> {
    const graph = new Map<string, string[]>();
    for (const f of files) {
        const text = readFileSync(f, "utf8");
        graph.set(f, [...text.matchAll(IMPORT)].map((m) => resolveImport(f, m[1])).filter((p): p is string => p !== undefined));
    }
    return graph;
}

/** Every cycle found by a depth-first search, each as a list of files (first = last). */
export function cycles(graph: Map<string, string[]>): string[][] {
    const found: string[][] = [];
    const state = new Map<string, "open" | "done">();
    const stack: string[] = [];
    const visit = (n: string) => {
        state.set(n, "open");
        stack.push(n);
        for (const m of graph.get(n) ?? []) {
            if (state.get(m) === "open") found.push([...stack.slice(stack.indexOf(m)), m]);
            else if (!state.has(m)) visit(m);
        }
        stack.pop();
        state.set(n, "done");
    };
    for (const n of graph.keys()) if (!state.has(n)) visit(n);
    return found;
}

describe("import graph of the program", () => {
    it("has no circle under components/ (type-only imports and re-exports included)", () => {
        const files = [join(REPO_ROOT, "index.ts"), ...sources(join(REPO_ROOT, "components"))];
        const graph = importGraph(files);
        expect(graph.size).toBeGreaterThan(50);
        expect([...graph.values()].flat().length, "edges resolved").toBeGreaterThan(200);
        expect(cycles(graph).map((c) => c.map((f) => relative(REPO_ROOT, f)).join(" → "))).toEqual([]);
    });

    it("would see a circle (the check is not vacuous)", () => {
        const g = new Map([
            ["a.ts", ["b.ts"]],
            ["b.ts", ["c.ts"]],
            ["c.ts", ["a.ts"]],
        ]);
        expect(cycles(g)).toEqual([["a.ts", "b.ts", "c.ts", "a.ts"]]);
    });
});

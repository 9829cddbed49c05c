/** Pulumi.yaml declares exactly the keys the program reads, each typed, described and defaulted. */
import { describe, expect, it } from "vitest";
import { CONFIG_KEYS, parseConfig } from "../components/config/load";
import { readProject, readStackFile, stackNames } from "./harness/stackConfig";

describe("Pulumi.yaml config block", () => {
    const declared = readProject().config ?? {};

    it("declares every key the schema reads, and no other", () => {
        expect(Object.keys(declared).map((k) => k.replace(/^kedascale:/, "")).sort()).toEqual([...CONFIG_KEYS].sort());
    });

    it.each(Object.entries(declared))("%s has a type, a description and a default", (_key, decl) => {
        expect(["string", "integer", "boolean", "array", "object"]).toContain(decl.type);
        expect(decl.description?.length).toBeGreaterThan(10);
        expect(decl.default).toBeDefined();
    });

    it("its defaults alone make a valid config", () => {
        const defaults = Object.fromEntries(Object.entries(declared).map(([k, d]) => [k.replace(/^kedascale:/, ""), d.default]));
        expect(() => parseConfig(defaults)).not.toThrow();
    });

    it.each(stackNames())("Pulumi.%s.yaml sets only keys Pulumi.yaml declares", (stack) => {
        for (const key of Object.keys(readStackFile(stack))) expect(Object.keys(declared)).toContain(key);
    });
});

/**
 * Config → typed, frozen, validated object. Pure `parseConfig` (tested without Pulumi) and a thin
 * `loadConfig` that reads Pulumi's config. Throws ConfigError before any resource is registered.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { stackSchema, type StackConfig } from "./stack";
import { ConfigError, key, type Problem, error } from "./rules/problem";
import { secretRules } from "./rules/secrets";
import { RULES } from "./rules";
import type { RuleContext } from "./rules/context";

export const PROJECT = "kedascale";

/** Top-level keys the program reads; anything else under `kedascale:` is a typo. */
export const CONFIG_KEYS = Object.keys(stackSchema.shape) as (keyof StackConfig)[];

function describeValue(value: unknown): string {
    if (value === undefined) return "nothing (the key is missing)";
    const text = JSON.stringify(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function schemaProblems(issues: z.core.$ZodIssue[]): Problem[] {
    return issues.map((issue) => {
        if (issue.code === "unrecognized_keys") {
            const at = issue.path.length ? key(...(issue.path as (string | number)[])) : "kedascale";
            return error(
                issue.keys.map((k) => (issue.path.length ? `${at}.${k}` : key(k))),
                `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")} (a typo?)`,
                `remove ${issue.keys.length > 1 ? "them" : "it"} or rename to a key the program reads (see docs/configuration.md, "Config reference")`,
            );
        }
        const where = key(...(issue.path as (string | number)[]));
        const allowed = issue.code === "invalid_value" ? `one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}` : undefined;
        return error([where], `${issue.message}; got ${describeValue(issue.input)}`, allowed ? `use ${allowed}` : `set a valid value (see docs/configuration.md, "Config reference")`);
    });
}

/** Turns Pulumi's string-valued config into JSON values: objects and arrays arrive as JSON text. */
export function decodeRawConfig(all: Record<string, string>): { raw: Record<string, unknown>; problems: Problem[] } {
    const raw: Record<string, unknown> = {};
    const problems: Problem[] = [];
    for (const [fullKey, text] of Object.entries(all)) {
        if (!fullKey.startsWith(`${PROJECT}:`)) continue;
        const name = fullKey.slice(PROJECT.length + 1);
        const trimmed = text.trim();
        if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
            try {
                raw[name] = JSON.parse(trimmed);
            } catch {
                problems.push(error([fullKey], `is not valid JSON/YAML structure: ${describeValue(text)}`, `fix the YAML under ${fullKey} in Pulumi.<stack>.yaml`));
            }
        } else {
            raw[name] = text;
        }
    }
    return { raw, problems };
}

export interface ParsedConfig {
    readonly config: Readonly<StackConfig>;
    readonly warnings: readonly Problem[];
}

function deepFreeze<T>(value: T): T {
    if (value && typeof value === "object" && !Object.isFrozen(value)) {
        for (const v of Object.values(value)) deepFreeze(v);
        Object.freeze(value);
    }
    return value;
}

/** Thrown by the partial-config proxy when a rule reads a section that did not parse: that rule is skipped. */
class UnparsedSection extends Error {}

/**
 * Parses each top-level key on its own, so a schema error in one section hides nothing else: every rule whose
 * sections parsed still runs (a rule touching an unparsed section is skipped, not run on defaults that would
 * invent errors). Returns the sections that parsed, the schema problems, and a proxy the rules read.
 */
function parseSections(raw: Record<string, unknown>): { sections: Partial<StackConfig>; problems: Problem[]; view: StackConfig } {
    const shape = stackSchema.shape as Record<string, z.ZodType>;
    const sections: Record<string, unknown> = {};
    const problems: Problem[] = [];
    const unknown = Object.keys(raw).filter((k) => !(k in shape));
    if (unknown.length > 0) {
        problems.push(...schemaProblems([{ code: "unrecognized_keys", keys: unknown, path: [], message: "", input: raw } as unknown as z.core.$ZodIssue]));
    }
    for (const [name, schema] of Object.entries(shape)) {
        const parsed = schema.safeParse(raw[name], { reportInput: true });
        if (parsed.success) sections[name] = parsed.data;
        else problems.push(...schemaProblems(parsed.error.issues.map((i) => ({ ...i, path: [name, ...i.path] }) as z.core.$ZodIssue)));
    }
    const view = new Proxy(sections, {
        get(target, prop) {
            if (typeof prop === "string" && prop in shape && !(prop in target)) throw new UnparsedSection(prop);
            return Reflect.get(target, prop);
        },
    }) as StackConfig;
    return { sections: sections as Partial<StackConfig>, problems, view };
}

/** Runs every rule over whatever parsed; a rule that needs an unparsed section contributes nothing. */
export function runRules(view: StackConfig, ctx: RuleContext): Problem[] {
    const findings: Problem[] = [];
    for (const rule of RULES) {
        try {
            findings.push(...rule(view, ctx));
        } catch (e) {
            if (!(e instanceof UnparsedSection)) throw e;
        }
    }
    return findings;
}

/**
 * Validates raw config; throws ConfigError listing every error at once — schema errors of every section and the
 * cross-field errors of every rule whose sections parsed; returns warnings for the caller to log.
 */
export function parseConfig(raw: Record<string, unknown>, decodeProblems: Problem[] = [], context: { stack?: string; root?: string } = {}): ParsedConfig {
    const problems = [...decodeProblems, ...secretRules(raw)];
    const { problems: schemaErrors, view, sections } = parseSections(raw);
    problems.push(...schemaErrors);
    const findings = runRules(view, { raw, stack: context.stack, root: context.root });
    problems.push(...findings.filter((p) => p.severity === "error"));
    if (problems.length > 0) throw new ConfigError(problems);
    return { config: deepFreeze(stackSchema.parse(sections)), warnings: findings.filter((p) => p.severity === "warning") };
}

/**
 * Reads this stack's config through Pulumi, validates it and logs warnings. Call before creating resources.
 * `root`: the project directory, against which `image.build` paths resolve (preflight checks they exist). Default: none (not checked).
 */
export function loadConfig(root?: string): Readonly<StackConfig> {
    const { raw, problems } = decodeRawConfig(pulumi.runtime.allConfig());
    try {
        const { config, warnings } = parseConfig(raw, problems, { stack: pulumi.getStack(), root });
        for (const w of warnings) pulumi.log.warn(`${w.keys.join(", ")}: ${w.message}. Fix: ${w.fix}`);
        return config;
    } catch (e) {
        // RunError prints the message alone, without a stack trace: the message is the whole story.
        if (e instanceof ConfigError) throw new pulumi.RunError(e.message);
        throw e;
    }
}

/**
 * Config → typed, frozen, validated object. Pure `parseConfig` (tested without Pulumi) and a thin
 * `loadConfig` that reads Pulumi's config. Throws ConfigError before any resource is registered.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { stackSchema, type StackConfig } from "./stack";
import { ConfigError, key, type Problem, error } from "./rules/problem";
import { secretRules } from "./rules/secrets";
import { crossFieldRules } from "./rules";

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
                `remove ${issue.keys.length > 1 ? "them" : "it"} or rename to a key the program reads (see README, "Config reference")`,
            );
        }
        const where = key(...(issue.path as (string | number)[]));
        const allowed = issue.code === "invalid_value" ? `one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}` : undefined;
        return error([where], `${issue.message}; got ${describeValue(issue.input)}`, allowed ? `use ${allowed}` : `set a valid value (see README, "Config reference")`);
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

/** Validates raw config; throws ConfigError listing every error; returns warnings for the caller to log. */
export function parseConfig(raw: Record<string, unknown>, decodeProblems: Problem[] = []): ParsedConfig {
    const problems = [...decodeProblems, ...secretRules(raw)];
    const parsed = stackSchema.safeParse(raw, { reportInput: true });
    if (!parsed.success) {
        problems.push(...schemaProblems(parsed.error.issues));
        throw new ConfigError(problems);
    }
    const findings = crossFieldRules(parsed.data);
    problems.push(...findings.filter((p) => p.severity === "error"));
    if (problems.length > 0) throw new ConfigError(problems);
    return { config: deepFreeze(parsed.data), warnings: findings.filter((p) => p.severity === "warning") };
}

/** Reads this stack's config through Pulumi, validates it and logs warnings. Call before creating resources. */
export function loadConfig(): Readonly<StackConfig> {
    const { raw, problems } = decodeRawConfig(pulumi.runtime.allConfig());
    try {
        const { config, warnings } = parseConfig(raw, problems);
        for (const w of warnings) pulumi.log.warn(`${w.keys.join(", ")}: ${w.message}. Fix: ${w.fix}`);
        return config;
    } catch (e) {
        // RunError prints the message alone, without a stack trace: the message is the whole story.
        if (e instanceof ConfigError) throw new pulumi.RunError(e.message);
        throw e;
    }
}

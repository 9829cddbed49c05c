/**
 * The generated list of every config key: each path the stack schema accepts, what it takes and its default, read from
 * the schema itself (zod's JSON Schema, as the stack file is read: input side). docs/configuration.md holds it between
 * `<!-- keys:start -->` and `<!-- keys:end -->`; test/docs.test.ts fails when that copy drifts. Regenerate with
 * `npx tsx test/harness/configReference.ts --write`.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { stackSchema } from "../../components/config/stack";

type Json = Record<string, any>;

const code = (s: string) => "`" + s.replace(/\|/g, "\\|") + "`";

/** What a JSON Schema node accepts, in a few words. */
function accepts(node: Json): string {
    if (node.enum) return node.enum.map((v: unknown) => code(JSON.stringify(v))).join(", ");
    if (node.const !== undefined) return code(JSON.stringify(node.const));
    const alternatives = node.anyOf ?? node.oneOf;
    if (alternatives) return alternatives.map(accepts).join(" or ");
    const type = Array.isArray(node.type) ? node.type.join("/") : node.type;
    const bounds: string[] = [];
    // zod marks every integer with the safe-integer range: not a bound anyone sets.
    if (node.minimum !== undefined && Math.abs(node.minimum) < Number.MAX_SAFE_INTEGER) bounds.push(`≥ ${node.minimum}`);
    if (node.maximum !== undefined && Math.abs(node.maximum) < Number.MAX_SAFE_INTEGER) bounds.push(`≤ ${node.maximum}`);
    if (node.multipleOf !== undefined) bounds.push(`multiple of ${node.multipleOf}`);
    if (node.minLength !== undefined && node.minLength > 0) bounds.push(`length ≥ ${node.minLength}`);
    switch (type) {
        case "object":
            return node.properties ? "object" : "map of names to strings";
        case "array":
            return `list of ${node.items ? accepts(node.items) : "values"}`;
        case "integer":
        case "number":
        case "string":
        case "boolean":
            return [type, ...bounds].join(", ");
        default:
            // Only removed keys accept anything: kept in the schema so preflight can name their replacement.
            return type ?? "removed: refused, naming its replacement";
    }
}

function walk(node: Json, path: string, rows: string[][], required: boolean): void {
    if (path) {
        const dflt = node.default !== undefined && typeof node.default !== "object" ? code(JSON.stringify(node.default)) : node.default !== undefined ? "see fields" : required ? "required" : "none";
        rows.push([code(path), accepts(node), dflt]);
    }
    const alternatives: Json[] = node.anyOf ?? node.oneOf ?? [node];
    for (const alt of alternatives) {
        const target = alt.type === "array" && alt.items ? alt.items : alt;
        const prefix = alt.type === "array" ? `${path}[]` : path;
        if (!target.properties) continue;
        const req = new Set<string>(target.required ?? []);
        for (const [k, v] of Object.entries(target.properties as Record<string, Json>)) {
            const child = `${prefix ? `${prefix}.` : "kedascale:"}${k}`;
            if (rows.some((r) => r[0] === code(child))) continue;
            walk(v, child, rows, req.has(k));
        }
    }
}

/** The generated table: one row per key path. */
export function configReferenceTable(): string {
    const schema = z.toJSONSchema(stackSchema, { io: "input", unrepresentable: "any" }) as Json;
    const rows: string[][] = [];
    walk(schema, "", rows, true);
    return ["| key | takes | default |", "|---|---|---|", ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
}

export const KEYS_START = "<!-- keys:start -->";
export const KEYS_END = "<!-- keys:end -->";

/** The copy between the markers in a markdown file, or undefined when the markers are missing. */
export function keysSection(markdown: string): string | undefined {
    const from = markdown.indexOf(KEYS_START);
    const to = markdown.indexOf(KEYS_END);
    if (from < 0 || to < from) return undefined;
    return markdown.slice(from + KEYS_START.length, to).trim();
}

if (process.argv.includes("--write")) {
    const file = join(__dirname, "..", "..", "docs", "configuration.md");
    const text = readFileSync(file, "utf8");
    const from = text.indexOf(KEYS_START);
    const to = text.indexOf(KEYS_END);
    if (from < 0 || to < from) throw new Error(`${file} has no ${KEYS_START} … ${KEYS_END} section`);
    writeFileSync(file, `${text.slice(0, from + KEYS_START.length)}\n${configReferenceTable()}\n${text.slice(to)}`);
}

/**
 * Every derived Azure and Kubernetes name (plan/names.ts) against its service's rule, and unique where the service
 * needs it. Needs the stack name, so it runs in loadConfig (and in tests that pass one).
 */
import { derivedNames, nameViolation, NAME_RULES } from "../../plan/names";
import type { StackConfig } from "../stack";
import type { RuleContext } from "./context";
import { error, key, type Problem } from "./problem";

export function nameRules(cfg: StackConfig, ctx: RuleContext): Problem[] {
    if (ctx.stack === undefined) return [];
    const problems: Problem[] = [];
    const names = derivedNames(cfg, ctx.stack);
    for (const n of names) {
        const bad = nameViolation(n);
        if (bad) {
            problems.push(
                error(
                    n.keys.length ? [...n.keys] : [key("namePrefix")],
                    `the ${n.what}'s name "${n.name}" (derived from stack "${ctx.stack}" and config) ${bad}; Azure/Kubernetes needs ${NAME_RULES[n.kind].describe}`,
                    `shorten or change ${n.keys.length ? n.keys.join(" / ") : "namePrefix"} (or the stack name) so the name fits`,
                ),
            );
        }
    }
    const seen = new Map<string, (typeof names)[number]>();
    for (const n of names) {
        if (n.scope === "") continue;
        const id = `${n.kind}\u0000${n.scope}\u0000${n.name.toLowerCase()}`;
        const first = seen.get(id);
        if (first) {
            problems.push(
                error(
                    [...new Set([...first.keys, ...n.keys])],
                    `the ${first.what} and the ${n.what} would both be named "${n.name}" (${n.scope}); the second create fails or overwrites the first`,
                    `rename one of them`,
                ),
            );
        } else seen.set(id, n);
    }
    return problems;
}

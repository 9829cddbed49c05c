/**
 * What a rule sees besides the parsed config: the raw config (to tell a value the user wrote from a schema default,
 * so a setting with no effect can be refused) and the stack name (derived names depend on it).
 */
export interface RuleContext {
    /** Raw config as decoded from Pulumi (keys without the `kedascale:` prefix). */
    readonly raw: Record<string, unknown>;
    /** Pulumi stack name, when known (loadConfig); names rules skip without it. */
    readonly stack?: string;
    /** The project directory (where Pulumi.yaml is), when known (loadConfig): `image.build` paths resolve against it. */
    readonly root?: string;
}

/** True when the user wrote this path in config (not filled in by a schema default). */
export function given(ctx: RuleContext | undefined, ...path: (string | number)[]): boolean {
    let value: unknown = ctx?.raw;
    for (const p of path) {
        if (value === null || typeof value !== "object") return false;
        value = (value as Record<string | number, unknown>)[p];
    }
    return value !== undefined;
}

export const EMPTY_CONTEXT: RuleContext = { raw: {} };

/**
 * Runs the real deployments/index.ts under Pulumi mocks with the real deployments/Pulumi.yaml defaults merged with
 * a stack file (as the CLI does, FACTS §10) and per-test overrides, recording every resource with its inputs,
 * parent and dependsOn. Like test/harness/programUnderMocks.ts, for this second program.
 */
import * as pulumi from "@pulumi/pulumi";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { vi } from "vitest";
import { parse } from "yaml";
import { mockCall, mockState } from "../../test/harness/mockState";

export const DEPLOYMENTS_DIR = join(__dirname, "..");
export const ORGANIZATION_OF_THIS_STACK = "kedascale-admins";

export interface Recorded {
    type: string;
    name: string;
    inputs: Record<string, any>;
    parentName?: string;
    dependsOn: string[];
}

export interface DeploymentsRun {
    error?: unknown;
    resources: Recorded[];
    outputs: Record<string, any>;
    ofType(type: string): Recorded[];
}

/** Pulumi.yaml defaults, then Pulumi.<stack>.yaml, then overrides (undefined deletes a key), all as CLI strings. */
export function deploymentsConfig(stack: string, overrides: Record<string, unknown>): Record<string, string> {
    const project = parse(readFileSync(join(DEPLOYMENTS_DIR, "Pulumi.yaml"), "utf8")) as { name: string; config: Record<string, { default?: unknown }> };
    const file = (parse(readFileSync(join(DEPLOYMENTS_DIR, `Pulumi.${stack}.yaml`), "utf8")) as { config?: Record<string, unknown> }).config ?? {};
    const encode = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));
    const out: Record<string, string> = {};
    for (const [k, d] of Object.entries(project.config)) if (d.default !== undefined) out[k] = encode(d.default);
    for (const [k, v] of Object.entries({ ...file, ...overrides })) {
        const full = k.includes(":") ? k : `${project.name}:${k}`;
        if (v === undefined) delete out[full];
        else out[full] = encode(v);
    }
    return out;
}

export async function runDeployments(stack = "kedascale", overrides: Record<string, unknown> = {}): Promise<DeploymentsRun> {
    const resources: Recorded[] = [];
    const options = new Map<string, { parentName?: string; dependsOn: string[] }>();
    pulumi.runtime.setAllConfig(deploymentsConfig(stack, overrides));
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                const { id, state } = mockState(args);
                resources.push({ type: args.type, name: args.name, inputs: args.inputs, dependsOn: [], ...options.get(`${args.type}::${args.name}`) });
                return { id, state };
            },
            call: (args) => mockCall(args.token, args.inputs),
        },
        "kedascale-deployments",
        stack,
        false,
        ORGANIZATION_OF_THIS_STACK,
    );
    let error: unknown;
    const outputs = (await pulumi.runtime.runInPulumiStack(async () => {
        pulumi.runtime.registerStackTransformation((t) => {
            const d = t.opts.dependsOn;
            const list = (Array.isArray(d) ? d : d ? [d] : []) as pulumi.Resource[];
            options.set(`${t.type}::${t.name}`, { parentName: (t.opts.parent as any)?.__name, dependsOn: list.map((r) => (r as any).__name as string) });
            return undefined;
        });
        try {
            vi.resetModules();
            return { ...(await import("../index")) };
        } catch (e) {
            error = e;
            return {};
        }
    })) as Record<string, any>;
    // Registrations inside apply() land after the outputs resolve: wait until the count is stable.
    for (let quiet = 0, last = -1; quiet < 3; ) {
        await new Promise((r) => setTimeout(r, 25));
        quiet = resources.length === last ? quiet + 1 : 0;
        last = resources.length;
    }
    const recorded = resources.filter((r) => r.type !== "pulumi:pulumi:Stack");
    return { error, resources: recorded, outputs, ofType: (type) => recorded.filter((r) => r.type === type) };
}

/** Resolves an Output (or plain value) the way the tests read stack outputs. */
export function resolve<T>(value: pulumi.Input<T>): Promise<T> {
    return new Promise((r) => pulumi.output(value).apply((v) => r(v as T)));
}

/**
 * Runs the real index.ts under Pulumi mocks with a real stack's config, the way `pulumi preview` would,
 * and records every resource (type, name, inputs, parent, dependsOn, ignoreChanges) and the stack outputs.
 */
import * as pulumi from "@pulumi/pulumi";
import { vi } from "vitest";
import { mockCall, mockState } from "./mockState";
import { stackConfig } from "./stackConfig";

export interface RecordedResource {
    type: string;
    name: string;
    inputs: Record<string, any>;
    id: string;
    parentType?: string;
    dependsOn: string[];
    ignoreChanges: string[];
    provider?: string;
}

export interface ProgramRun {
    resources: RecordedResource[];
    outputs: Record<string, any>;
    warnings: string[];
    /** Resources of one type; `name` narrows to one logical name. */
    ofType(type: string): RecordedResource[];
    one(type: string, name?: string): RecordedResource;
    byId(id: string): RecordedResource | undefined;
}

async function settle(count: () => number): Promise<void> {
    // Registrations triggered inside apply() callbacks land after the stack outputs resolve: wait until quiet.
    let last = -1;
    for (let quiet = 0; quiet < 3; ) {
        await new Promise((r) => setTimeout(r, 25));
        quiet = count() === last ? quiet + 1 : 0;
        last = count();
    }
}

export interface SettledRun {
    /** Set when the program threw (e.g. refused its config). */
    error?: unknown;
    /** Every resource registered, even when the program threw part-way. */
    resources: RecordedResource[];
    outputs: Record<string, any>;
    warnings: string[];
}

/** Runs the program and settles; never throws for a program error, so tests can inspect what was registered. */
export async function settleProgram(stack: string, overrides: Record<string, unknown> = {}): Promise<SettledRun> {
    const resources: RecordedResource[] = [];
    const options = new Map<string, { parentType?: string; dependsOn: string[]; ignoreChanges: string[] }>();
    const warnings: string[] = [];

    pulumi.runtime.setAllConfig(stackConfig(stack, overrides));
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                const { id, state } = mockState(args);
                const opts = options.get(`${args.type}::${args.name}`);
                resources.push({ type: args.type, name: args.name, inputs: args.inputs, id, provider: args.provider, dependsOn: [], ignoreChanges: [], ...opts });
                return { id, state };
            },
            call: (args) => mockCall(args.token, args.inputs),
        },
        "kedascale",
        stack,
        false,
    );
    const warn = vi.spyOn(pulumi.log, "warn").mockImplementation(async (msg: string) => void warnings.push(msg));
    vi.resetModules();
    // The deployer's Entra → ACR token exchange is proven against a local server (acrToken.test.ts); here it is injected.
    vi.doMock("../../components/acrToken", () => ({ acrCredentials: async () => ({ username: "00000000-0000-0000-0000-000000000000", password: "mock-acr-refresh-token" }) }));
    let outputs: Record<string, any>;
    // A program that throws (bad config) is caught inside the stack's init, as the CLI reports it, rather than
    // left to reject the Stack resource's internal promises where no one awaits them.
    let programError: unknown;
    try {
        outputs = (await pulumi.runtime.runInPulumiStack(async () => {
            pulumi.runtime.registerStackTransformation((t) => {
                const depends = t.opts.dependsOn;
                const list = (Array.isArray(depends) ? depends : depends ? [depends] : []) as pulumi.Resource[];
                options.set(`${t.type}::${t.name}`, {
                    parentType: (t.opts.parent as any)?.__pulumiType,
                    dependsOn: list.map((r) => (r as any).__name as string),
                    ignoreChanges: t.opts.ignoreChanges ?? [],
                });
                return undefined;
            });
            try {
                return { ...(await import("../../index")) };
            } catch (e) {
                programError = e;
                return {};
            }
        })) as Record<string, any>;
        await settle(() => resources.length);
    } finally {
        warn.mockRestore();
    }
    return { error: programError, resources: resources.filter((r) => r.type !== "pulumi:pulumi:Stack"), outputs, warnings };
}

export async function runProgram(stack: string, overrides: Record<string, unknown> = {}): Promise<ProgramRun> {
    const { error, resources: azure, outputs, warnings } = await settleProgram(stack, overrides);
    if (error) throw error;
    return {
        resources: azure,
        outputs,
        warnings,
        ofType: (type) => azure.filter((r) => r.type === type),
        one(type, name) {
            const found = azure.filter((r) => r.type === type && (name === undefined || r.name === name));
            if (found.length !== 1) throw new Error(`expected one ${type}${name ? ` named ${name}` : ""}, found ${found.length}: ${found.map((r) => r.name).join(", ")}`);
            return found[0];
        },
        byId: (id) => azure.find((r) => r.id === id),
    };
}

/**
 * Runs the real index.ts under Pulumi mocks with a real stack's config, the way `pulumi preview` would,
 * and records every resource (type, name, inputs, parent, dependsOn, ignoreChanges) and the stack outputs.
 * Free of any test runner: the tests (runProgram.ts) and `npm run plan` (plan.ts) both drive it.
 */
import * as pulumi from "@pulumi/pulumi";
import { mockCall, mockState } from "./mockState";
import { stackConfig } from "./stackConfig";

export interface RecordedResource {
    type: string;
    name: string;
    inputs: Record<string, any>;
    id: string;
    parentType?: string;
    /** Logical name of the parent resource (a component), when it has one. */
    parentName?: string;
    dependsOn: string[];
    ignoreChanges: string[];
    provider?: string;
}

export interface SettledRun {
    /** Set when the program threw (e.g. refused its config). */
    error?: unknown;
    /** Every resource registered, even when the program threw part-way. */
    resources: RecordedResource[];
    outputs: Record<string, any>;
    warnings: string[];
    /** Every provider function (invoke) the program called, in order: its token and inputs. */
    invokes: RecordedInvoke[];
}

/** One invoke, e.g. `azure-native:servicebus:listQueueKeys` with its arguments (which Azure resource it targets). */
export interface RecordedInvoke {
    token: string;
    inputs: Record<string, any>;
}

/** What differs between a test run (vitest module mocks) and a plain process (`npm run plan`). */
export interface ProgramLoader {
    /** Imports a fresh copy of index.ts with the deployer's ACR token exchange replaced (no network under mocks). */
    importProgram(): Promise<Record<string, any>>;
    /** Routes pulumi.log.warn to `sink` until the returned function is called. */
    captureWarnings(sink: (msg: string) => void): () => void;
}

/** The deployer's Entra → ACR token exchange is proven against a local server (acrToken.test.ts); plans inject this. */
export const MOCK_ACR_CREDENTIALS = { username: "00000000-0000-0000-0000-000000000000", password: "mock-acr-refresh-token" };

async function settle(count: () => number): Promise<void> {
    // Registrations triggered inside apply() callbacks land after the stack outputs resolve: wait until quiet.
    let last = -1;
    for (let quiet = 0; quiet < 3; ) {
        await new Promise((r) => setTimeout(r, 25));
        quiet = count() === last ? quiet + 1 : 0;
        last = count();
    }
}

/**
 * Runs the program and settles; never throws for a program error, so callers can inspect what was registered.
 * `preview`: run as `pulumi preview` does (pulumi.runtime.isDryRun() true), to see which invokes a preview makes.
 */
export async function runUnderMocks(stack: string, overrides: Record<string, unknown>, loader: ProgramLoader, preview = false): Promise<SettledRun> {
    const resources: RecordedResource[] = [];
    const invokes: RecordedInvoke[] = [];
    const options = new Map<string, { parentType?: string; parentName?: string; dependsOn: string[]; ignoreChanges: string[] }>();
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
            call: (args) => {
                invokes.push({ token: args.token, inputs: args.inputs });
                return mockCall(args.token, args.inputs);
            },
        },
        "kedascale",
        stack,
        preview,
    );
    const restore = loader.captureWarnings((msg) => warnings.push(msg));
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
                    parentName: (t.opts.parent as any)?.__name,
                    dependsOn: list.map((r) => (r as any).__name as string),
                    ignoreChanges: t.opts.ignoreChanges ?? [],
                });
                return undefined;
            });
            try {
                return { ...(await loader.importProgram()) };
            } catch (e) {
                programError = e;
                return {};
            }
        })) as Record<string, any>;
        await settle(() => resources.length);
    } finally {
        restore();
    }
    return { error: programError, resources: resources.filter((r) => r.type !== "pulumi:pulumi:Stack"), outputs, warnings, invokes };
}

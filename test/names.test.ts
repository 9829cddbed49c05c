/**
 * Every Azure and Kubernetes name of every stack file comes from components/plan/names.ts, meets its service's
 * rule and is unique where it must be; and the program sends exactly those names (run under mocks), so the check
 * covers what Azure and the API server would actually receive.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { decodeRawConfig, parseConfig } from "../components/config/load";
import type { StackConfig } from "../components/config/stack";
import { uniqueSuffix } from "../components/plan/naming";
import { derivedNames, nameViolation, type DerivedName } from "../components/plan/names";
import { MOCK_SUBSCRIPTION, NAME_INPUT } from "./harness/mockState";
import { runProgram, type ProgramRun } from "./harness/runProgram";
import { clusterKind, stackConfig, stackNames } from "./harness/stackConfig";

/** Azure types whose name is derived (agent pools are config names, role assignments GUIDs: checked elsewhere). */
const AZURE_KINDS: Record<string, DerivedName["kind"][]> = {
    "azure-native:resources:ResourceGroup": ["resourceGroup"],
    "azure-native:network:VirtualNetwork": ["vnet"],
    "azure-native:network:Subnet": ["subnet"],
    "azure-native:containerservice:ManagedCluster": ["managedCluster"],
    "azure-native:managedidentity:UserAssignedIdentity": ["userAssignedIdentity"],
    "azure-native:managedidentity:FederatedIdentityCredential": ["federatedCredential"],
    "azure-native:containerregistry:Registry": ["registry"],
    "azure-native:servicebus:Namespace": ["serviceBusNamespace"],
    "azure-native:servicebus:Queue": ["serviceBusEntity"],
    "azure-native:servicebus:Topic": ["serviceBusEntity"],
    "azure-native:servicebus:Subscription": ["serviceBusSubscription"],
    "azure-native:containerregistry:Token": ["acrToken"],
    "azure-native:containerregistry:ScopeMap": ["acrToken"],
    "azure-native:storage:StorageAccount": ["storageAccount"],
    "azure-native:storage:Queue": ["queue"],
    "azure-native:storage:BlobContainer": ["blobContainer"],
};

// The local stack sends nothing to Azure, so it has no derived Azure name (test/localStack.test.ts checks it has no Azure resource).
describe.each(stackNames().filter((s) => clusterKind(s) !== "local"))("stack %s: derived names", (stack) => {
    let cfg: StackConfig;
    let names: DerivedName[];
    let run: ProgramRun;
    beforeAll(async () => {
        const { raw } = decodeRawConfig(stackConfig(stack));
        cfg = parseConfig(raw, [], { stack }).config;
        names = derivedNames(cfg, stack, uniqueSuffix(MOCK_SUBSCRIPTION, "kedascale", stack));
        run = await runProgram(stack);
    });

    it("meets each service's naming rule", () => {
        const bad = names.map((n) => [n, nameViolation(n)] as const).filter(([, v]) => v !== undefined);
        expect(bad.map(([n, v]) => `${n.what} "${n.name}" ${v}`)).toEqual([]);
        expect(names.filter((n) => n.kind === "federatedCredential").every((n) => n.name.length >= 3 && n.name.length <= 120)).toBe(true);
    });

    it("is unique within each service scope", () => {
        const ids = names.filter((n) => n.scope !== "").map((n) => `${n.kind}|${n.scope}|${n.name.toLowerCase()}`);
        expect(ids.length).toBe(new Set(ids).size);
    });

    it("is exactly what the program sends to Azure", () => {
        for (const r of run.resources.filter((r) => AZURE_KINDS[r.type])) {
            const sent = r.inputs[NAME_INPUT[r.type]];
            const derived = names.filter((n) => AZURE_KINDS[r.type].includes(n.kind)).map((n) => n.name);
            expect(derived, `${r.type} ${r.name} sends "${sent}"`).toContain(sent);
        }
        // And nothing derived for Azure is missing from the program (no dead names in names.ts).
        const sentNames = new Set(run.resources.filter((r) => AZURE_KINDS[r.type]).map((r) => r.inputs[NAME_INPUT[r.type]]));
        for (const n of names.filter((n) => Object.values(AZURE_KINDS).flat().includes(n.kind))) expect(sentNames, `${n.what}`).toContain(n.name);
    });

    it("names each federated credential <namespace>-<serviceAccount>, matching its subject", () => {
        for (const f of run.ofType("azure-native:managedidentity:FederatedIdentityCredential")) {
            const [, , ns, sa] = String(f.inputs.subject).split(":");
            expect(f.inputs.federatedIdentityCredentialResourceName).toBe(`${ns}-${sa}`);
        }
    });
});

describe("a one-letter workload name", () => {
    it("gets a federated credential name Entra accepts (3–120), where the bare name would not", async () => {
        const run = await runProgram("dev", {
            "kedascale:workloads": [{ name: "w", kind: "deployment", maxReplicaCount: 10, resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } } }],
            // Without a virtual-node workload, dev's messaging.virtualNodes would have no effect (an error).
            "kedascale:messaging": { broker: "serviceBus" },
        });
        const fic = run.ofType("azure-native:managedidentity:FederatedIdentityCredential").map((f) => f.inputs.federatedIdentityCredentialResourceName);
        expect(fic).toContain("workloads-w");
        expect(fic.every((n: string) => n.length >= 3)).toBe(true);
    });
});

/**
 * Azurite inside a laptop cluster (components/plan/localAzurite.ts, issue 16 part 1): the objects pass their published
 * schemas, the one connection string kedascale allows lives only in a Secret the policy pack accepts by its label, and
 * its explicit endpoints are what the Storage SDK connects to (not 127.0.0.1, which UseDevelopmentStorage would mean
 * inside KEDA's own pod).
 */
import { TriggerAuthentication } from "@kubernetes-models/keda/keda.sh/v1alpha1/TriggerAuthentication";
import { QueueClient } from "@azure/storage-queue";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { PersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { describe, expect, it } from "vitest";
import {
    AZURITE_IMAGE,
    DEFAULT_LOCAL_AZURITE as S,
    azuriteConnectionString,
    renderAzuriteDeployment,
    renderAzuriteSecret,
    renderAzuriteService,
    renderAzuriteTriggerAuthentication,
    renderAzuriteVolumeClaim,
} from "../components/plan/localAzurite";
import { checkNoConnectionStrings } from "../policy/policies/noConnectionStrings";
import { version as azuriteNpmVersion } from "azurite/package.json";

describe("Azurite in a laptop cluster", () => {
    it("Deployment, Service, volume claim, Secret and TriggerAuthentication pass their published schemas", () => {
        new Deployment(renderAzuriteDeployment(S) as any).validate();
        new Service(renderAzuriteService(S) as any).validate();
        new PersistentVolumeClaim(renderAzuriteVolumeClaim(S) as any).validate();
        new Secret(renderAzuriteSecret(S, "workloads") as any).validate();
        new TriggerAuthentication(renderAzuriteTriggerAuthentication(S, "burst-azurite", "workloads") as any).validate();
    });

    it("runs the pinned image of the Azurite release the tests use, skips the API version check, keeps its data on the volume, selects its own pods", () => {
        expect(AZURITE_IMAGE).toBe(`mcr.microsoft.com/azure-storage/azurite:${azuriteNpmVersion}`);
        const d = renderAzuriteDeployment(S).spec;
        const c = d.template.spec.containers[0];
        expect(c.args).toContain("--skipApiVersionCheck");
        expect(c.args.join(" ")).toMatch(/--location \/data/);
        expect(c.volumeMounts).toEqual([{ name: "data", mountPath: "/data" }]);
        expect(d.template.spec.volumes[0].persistentVolumeClaim.claimName).toBe(renderAzuriteVolumeClaim(S).metadata.name);
        expect(d.strategy.type).toBe("Recreate");
        const svc = renderAzuriteService(S).spec;
        for (const [k, v] of Object.entries(svc.selector)) expect(d.template.metadata.labels[k]).toBe(v);
        expect(svc.ports.map((p: { port: number }) => p.port)).toEqual(c.ports.map((p: { containerPort: number }) => p.containerPort));
    });

    it("the connection string names the in-cluster Service's endpoints explicitly, and the Storage SDK connects there", () => {
        const cs = azuriteConnectionString(S);
        expect(cs).toMatch(/;QueueEndpoint=http:\/\/azurite\.azurite\.svc\.cluster\.local:10001\/devstoreaccount1;/);
        expect(cs).toMatch(/;BlobEndpoint=http:\/\/azurite\.azurite\.svc\.cluster\.local:10000\/devstoreaccount1;/);
        expect(new QueueClient(cs, "jobs").url).toBe("http://azurite.azurite.svc.cluster.local:10001/devstoreaccount1/jobs");
    });

    it("the policy pack accepts it only in the Secret labelled kedascale.io/allowed-secret: azurite, and refuses it anywhere else", () => {
        const secret = renderAzuriteSecret(S, "workloads");
        expect(checkNoConnectionStrings("kubernetes:core/v1:Secret", secret, "azurite-connection")).toEqual([]);
        const unlabelled = { ...secret, metadata: { ...secret.metadata, labels: {} } };
        expect(checkNoConnectionStrings("kubernetes:core/v1:Secret", unlabelled, "azurite-connection").join("\n")).toMatch(/storage/i);
        const inPodEnv = { spec: { template: { spec: { containers: [{ env: [{ name: "KEDASCALE_CONNECTION_STRING", value: azuriteConnectionString(S) }] }] } } } };
        expect(checkNoConnectionStrings("kubernetes:apps/v1:Deployment", inPodEnv, "worker")).not.toEqual([]);
        // The TriggerAuthentication only points at the Secret: no credential in it.
        expect(checkNoConnectionStrings("kubernetes:keda.sh/v1alpha1:TriggerAuthentication", renderAzuriteTriggerAuthentication(S, "burst-azurite", "workloads"), "t")).toEqual([]);
    });
});

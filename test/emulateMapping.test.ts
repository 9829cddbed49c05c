/**
 * The emulation's pure parts (timeline/emulate/): what it reads of a rendered ScaledJob/ScaledObject, how a pod's
 * container becomes a local process, and the root `npm run demo` dispatcher. No Azurite, no workers.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { mapPod } from "../timeline/emulate/pods";
import { scalingTarget, type RenderedStack } from "../timeline/emulate/rendered";
import { parseTimeScale, timeScaleFor } from "../timeline/emulate/timeScale";

const ROOT = join(__dirname, "..");

const scaledJob = (spec: Record<string, unknown>, container: Record<string, unknown> = {}): RenderedStack => ({
    stack: "t",
    objects: [
        {
            apiVersion: "keda.sh/v1alpha1",
            kind: "ScaledJob",
            metadata: { name: "burst", namespace: "workloads" },
            spec: {
                jobTargetRef: { backoffLimit: 2, activeDeadlineSeconds: 900, template: { spec: { terminationGracePeriodSeconds: 30, containers: [{ name: "worker", args: ["work", "--once"], env: [], ...container }] } } },
                pollingInterval: 30,
                maxReplicaCount: 998,
                scalingStrategy: { strategy: "default" },
                triggers: [{ type: "azure-queue", metadata: { queueName: "jobs", accountName: "acct", queueLength: "1", activationQueueLength: "0" } }],
                ...spec,
            },
        },
        {
            apiVersion: "batch/v1",
            kind: "CronJob",
            metadata: { name: "burst-load", namespace: "workloads" },
            spec: { jobTemplate: { spec: { template: { spec: { containers: [{ args: ["send", "--count", "998", "--work-ms", "60000"] }] } } } } },
        },
    ],
});

describe("what the emulation reads of a rendered ScaledJob", () => {
    it("KEDA's inputs as rendered (string trigger metadata parsed), Job limits, the container, and the load template's burst", () => {
        expect(scalingTarget(scaledJob({}))).toMatchObject({
            name: "burst",
            kind: "job",
            trigger: { type: "azure-queue", queueName: "jobs", target: 1, activation: 0 },
            pollingInterval: 30,
            minReplicaCount: 0,
            maxReplicaCount: 998,
            strategy: "default",
            backoffLimit: 2,
            activeDeadlineSeconds: 900,
            pod: { args: ["work", "--once"], terminationGracePeriodSeconds: 30 },
            loadTest: { messages: 998, workMs: 60000 },
        });
    });

    it("refuses, all at once and by path, what it would not emulate faithfully: several triggers, visibleonly, an unknown strategy, a command replacing the worker", () => {
        const t = { type: "azure-queue", metadata: { queueName: "jobs", queueLengthStrategy: "visibleonly" } };
        const bad = scaledJob({ triggers: [t, t], scalingStrategy: { strategy: "custom" } }, { command: ["sh"] });
        expect(() => scalingTarget(bad)).toThrow(/ScaledJob\/burst spec.triggers: the emulation follows exactly one queue trigger, got 2/);
        let msg = "";
        try {
            scalingTarget(bad);
        } catch (e) {
            msg = (e as Error).message;
        }
        expect(msg).toMatch(/queueLengthStrategy: "visibleonly" is not emulated/);
        expect(msg).toMatch(/scalingStrategy.strategy: "custom" is not emulated/);
        expect(msg).toMatch(/a container command replaces the worker's entrypoint/);
        expect(() => scalingTarget({ stack: "aca", objects: [] })).toThrow(/renders no ScaledJob or ScaledObject/);
    });
});

describe("what the emulation reads of a rendered ScaledObject's HPA behavior (issue 24)", () => {
    const scaledObject = (advanced?: Record<string, unknown>): RenderedStack => ({
        stack: "t",
        objects: [
            {
                apiVersion: "keda.sh/v1alpha1",
                kind: "ScaledObject",
                metadata: { name: "worker", namespace: "workloads" },
                spec: { scaleTargetRef: { name: "worker" }, triggers: [{ type: "azure-queue", metadata: { queueName: "jobs", queueLength: "5" } }], ...(advanced ? { advanced } : {}) },
            },
            { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "worker" }, spec: { template: { spec: { containers: [{ args: ["work"] }] } } } },
        ],
    });
    it("no behavior stays undefined (the HPA's no-behavior rules); a behavior is passed on field by field, as KEDA passes it", () => {
        expect(scalingTarget(scaledObject()).hpaBehavior).toBeUndefined();
        const behavior = { scaleDown: { stabilizationWindowSeconds: 120, policies: [{ type: "Percent", value: 50, periodSeconds: 60 }] } };
        expect(scalingTarget(scaledObject({ horizontalPodAutoscalerConfig: { behavior } })).hpaBehavior).toEqual(behavior);
    });
    it("refuses a policy type or select policy the HPA does not have, naming the path", () => {
        const behavior = { scaleUp: { selectPolicy: "Fastest", policies: [{ type: "Replicas", value: 2, periodSeconds: 15 }] } };
        expect(() => scalingTarget(scaledObject({ horizontalPodAutoscalerConfig: { behavior } }))).toThrow(
            /behavior.scaleUp.selectPolicy: "Fastest" is not Max, Min or Disabled[\s\S]*behavior.scaleUp.policies\[0\].type: "Replicas" is not Pods or Percent/,
        );
    });
});

describe("a rendered pod as a local worker process", () => {
    const env = [
        { name: "KEDASCALE_BROKER", value: "serviceBus" },
        { name: "KEDASCALE_QUEUE", value: "jobs" },
        { name: "KEDASCALE_SERVICEBUS_NAMESPACE", value: "ns" },
        { name: "KEDASCALE_RESULTS_ACCOUNT", value: "acct" },
        { name: "KEDASCALE_RESULTS_CONTAINER", value: "results" },
        { name: "KEDASCALE_GRACE_MS", value: "20000" },
    ];
    it("points at Azurite by connection string instead of an identity, scales its waits, keeps queue and container names, turns the health port off", () => {
        const m = mapPod({ args: ["work", "--inflight", "8", "--health-port", "8080"], env, terminationGracePeriodSeconds: 30 }, { connectionString: "UseDevelopmentStorage=true" }, 0.1);
        expect(m.args).toEqual(["work", "--inflight", "8", "--health-port", "0"]);
        expect(m.env).toEqual({
            KEDASCALE_BROKER: "storageQueue",
            KEDASCALE_CONNECTION_STRING: "UseDevelopmentStorage=true",
            KEDASCALE_QUEUE: "jobs",
            KEDASCALE_RESULTS_CONTAINER: "results",
            KEDASCALE_GRACE_MS: "2000",
            KEDASCALE_WAIT_MS: "500",
        });
        expect(m.notes.join("\n")).toMatch(/broker serviceBus → the Azurite Storage queue/);
    });

    it("a variable from a Secret or field it cannot resolve is an error naming it; a connection string from a Secret is replaced by Azurite's", () => {
        const fromSecret = { name: "KEDASCALE_CONNECTION_STRING", valueFrom: { secretKeyRef: { name: "azurite", key: "connection" } } };
        expect(mapPod({ args: [], env: [fromSecret], terminationGracePeriodSeconds: 30 }, { connectionString: "cs" }, 1).env.KEDASCALE_CONNECTION_STRING).toBe("cs");
        const runId = { name: "KEDASCALE_RUN_ID", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } };
        expect(() => mapPod({ args: [], env: [runId], terminationGracePeriodSeconds: 30 }, { connectionString: "cs" }, 1)).toThrow(/env KEDASCALE_RUN_ID: comes from .*fieldRef/);
    });

    it("time scale: one poll every 2 s of wall time by default, never slower than real time; --time-scale takes 1/N or a factor", () => {
        expect(timeScaleFor(30)).toBeCloseTo(1 / 15, 10);
        expect(timeScaleFor(1)).toBe(1);
        expect(parseTimeScale("1/15")).toBeCloseTo(1 / 15, 10);
        expect(parseTimeScale("0.5")).toBe(0.5);
        expect(() => parseTimeScale("2")).toThrow(/--time-scale 2: expected a factor in \(0, 1\]/);
    });
});

describe("npm run demo at the root", () => {
    it("without --scale it is the consumer's demo, arguments passed through (its --help)", () => {
        const r = spawnSync("npm", ["run", "demo", "--silent", "--", "--help"], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout).toMatch(/kedascale-demo/);
        expect(r.stdout).toMatch(/--messages/);
    }, 120_000);

    it("--scale with a stack that does not exist fails naming the stack files there are", () => {
        const r = spawnSync("npm", ["run", "demo", "--silent", "--", "--scale", "nope"], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
        expect(r.status).toBe(1);
        expect(r.stderr).toMatch(/demo --scale: no stack "nope": there is no Pulumi.nope.yaml; stacks: .*scale1000/);
    }, 120_000);
});

/**
 * Shared shapes and helpers of the kedascale policies. Each policy module exports a pure `check…` function
 * (resource type + props → violation messages) that tests call with hand-built props, and a policy object
 * that wraps it for `@pulumi/policy` (only policy/index.ts constructs the PolicyPack: its constructor serves gRPC).
 */

/**
 * The documented exception for the virtual-node (ACI) credential: a Service Bus namespace or a storage account
 * tagged `kedascale:localAuth: virtual-nodes` may keep local (SAS / shared key) auth, because ACI pods get no
 * workload identity (FACTS §1) and a queue SAS is signed with the account key. The ACI work creates it; every
 * other namespace and account must be Entra-only.
 */
export const LOCAL_AUTH_TAG = "kedascale:localAuth";
export const LOCAL_AUTH_TAG_VALUE = "virtual-nodes";

/**
 * Kubernetes Secrets allowed to hold a connection string or key: label `kedascale.io/allowed-secret` set to one
 * of these (the ACI credential of a virtual-node workload; the Azurite connection string of a local run).
 */
export const ALLOWED_SECRET_LABEL = "kedascale.io/allowed-secret";
export const ALLOWED_SECRET_PURPOSES = ["aci-credential", "azurite"] as const;

/** azure-native v3 registers `azure-native:<module>:<Type>`, or `azure-native:<module>/v<api>:<Type>` for an explicit API version. */
export function isAzureType(type: string, module: string, resource: string): boolean {
    return new RegExp(`^azure-native:${module}(/v[0-9a-z]+)?:${resource}$`).test(type);
}

export type Props = Record<string, any>;

export function hasLocalAuthException(props: Props): boolean {
    return props.tags?.[LOCAL_AUTH_TAG] === LOCAL_AUTH_TAG_VALUE;
}

/** Name for messages: the Azure name when known (it can be unknown during preview), else the logical name. */
export function displayName(props: Props, nameInput: string, fallback: string): string {
    const v = props[nameInput];
    return typeof v === "string" ? v : fallback;
}

import type { ResourceValidationPolicy } from "@pulumi/policy";

/** A pure resource check: the resource's type, its logical name and props → one message per violation. */
export type ResourceCheck = (type: string, props: Props, name: string) => string[];

/** Wraps a pure check as a mandatory CrossGuard resource policy. */
export function resourcePolicy(name: string, description: string, check: ResourceCheck): ResourceValidationPolicy & { check: ResourceCheck } {
    return {
        name,
        description,
        enforcementLevel: "mandatory",
        check,
        validateResource: (args, reportViolation) => {
            for (const message of check(args.type, args.props, args.name)) reportViolation(message);
        },
    };
}

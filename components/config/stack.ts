/** The whole stack's config: the platform keys plus KEDA and the workloads. */
import { z } from "zod";
import { containerAppsSchema } from "./containerApps";
import { platformSchema } from "./schema";
import { kedaSchema, workloadSchema } from "./workloads";

export const stackSchema = platformSchema.extend({
    keda: kedaSchema.default(kedaSchema.parse({})),
    /** The Azure Container Apps environment shared by every workload with platform containerApps. */
    containerApps: containerAppsSchema.default(containerAppsSchema.parse({})),
    /** Queue workers: each a ScaledObject over a Deployment or a ScaledJob (AKS), or an event-triggered ACA job. */
    workloads: z.array(workloadSchema).default([]),
});
export type StackConfig = z.infer<typeof stackSchema>;

/** The whole stack's config: the platform keys plus KEDA and the workloads. */
import { z } from "zod";
import { platformSchema } from "./schema";
import { kedaSchema, workloadSchema } from "./workloads";

export const stackSchema = platformSchema.extend({
    keda: kedaSchema.default(kedaSchema.parse({})),
    /** Queue workers: each a ScaledObject over a Deployment or a ScaledJob. */
    workloads: z.array(workloadSchema).default([]),
});
export type StackConfig = z.infer<typeof stackSchema>;

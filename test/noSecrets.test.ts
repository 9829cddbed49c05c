/** Secretless by default: no resource input in any stack carries a key, password or connection string. */
import { describe, expect, it } from "vitest";
import { runProgram } from "./harness/runProgram";
import { stackNames } from "./harness/stackConfig";

const SECRET_KEYS = /password|secret|connectionstring|accountkey|sharedaccesskey|sastoken|adminuser/i;
const SECRET_VALUES = /AccountKey=|SharedAccessKey=|SharedAccessSignature=|[?&]sig=|DefaultEndpointsProtocol=/i;

function* walk(value: unknown, path: string): Generator<[string, unknown]> {
    yield [path, value];
    if (Array.isArray(value)) for (const [i, v] of value.entries()) yield* walk(v, `${path}[${i}]`);
    else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) yield* walk(v, `${path}.${k}`);
}

describe.each(stackNames())("stack %s", (stack) => {
    it("sends no credential to Azure or Kubernetes", async () => {
        const run = await runProgram(stack);
        const findings: string[] = [];
        for (const r of run.resources) {
            // The Kubernetes provider's kubeconfig is the one credential the program holds; it is a Pulumi secret.
            if (r.type === "pulumi:providers:kubernetes") continue;
            for (const [path, value] of walk(r.inputs, `${r.type}::${r.name}`)) {
                // The image push uses the deployer's short-lived ACR refresh token (Entra exchange, not the admin user).
                if (r.type === "docker:index/image:Image" && /\.registry(\.value)?\.password$/.test(path)) continue;
                const key = path.split(".").pop() ?? "";
                if (SECRET_KEYS.test(key) && value !== false && value !== undefined) findings.push(`${path} = ${JSON.stringify(value)}`);
                if (typeof value === "string" && SECRET_VALUES.test(value)) findings.push(`${path} looks like a credential`);
            }
        }
        expect(findings).toEqual([]);
        expect(run.ofType("kubernetes:core/v1:Secret")).toEqual([]);
        for (const image of run.ofType("docker:index/image:Image")) expect((image.inputs.registry.value ?? image.inputs.registry).username).toBe("00000000-0000-0000-0000-000000000000");
    });
});

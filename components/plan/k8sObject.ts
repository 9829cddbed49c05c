/** The shape every pure renderer returns: a Kubernetes object as it will be sent (its own module, so renderers import no renderer). */
export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace: string; labels?: Record<string, string> }; spec: Record<string, any> };

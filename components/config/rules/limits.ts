/** Real lists, not regexes: region, Kubernetes version, KEDA chart version (components/limits/platform.ts). */
import { AKS_CALENDAR_DATE, AKS_LTS_ONLY_MINORS, AKS_SUPPORTED_MINORS, AZURE_REGIONS, KEDA_CHART_KNOWN_BAD, KEDA_CHART_KNOWN_GOOD, KEDA_TESTED_MINORS } from "../../limits/platform";
import type { StackConfig } from "../stack";
import { error, key, warning, type Problem } from "./problem";

/** Closest known names by edit distance, for "did you mean". */
function closest(value: string, candidates: readonly string[]): string[] {
    const distance = (a: string, b: string): number => {
        const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
        for (let j = 1; j <= b.length; j++) d[0][j] = j;
        for (let i = 1; i <= a.length; i++)
            for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        return d[a.length][b.length];
    };
    // Letters compared as a bag too, so swapped words ("europewest") still find their region ("westeurope").
    const bag = (t: string) => [...t].sort().join("");
    const v = value.toLowerCase();
    const scored = candidates.map((c) => [c, Math.min(distance(v, c), distance(bag(v), bag(c)) + 1)] as const).sort((x, y) => x[1] - y[1]);
    return scored.filter(([, s]) => s <= Math.max(2, scored[0][1])).slice(0, 3).map(([c]) => c);
}

export function regionRules(cfg: StackConfig): Problem[] {
    if (AZURE_REGIONS.includes(cfg.location)) return [];
    return [error([key("location")], `"${cfg.location}" is not an Azure public-cloud region`, `use a region name as \`az account list-locations\` prints it, e.g. ${closest(cfg.location, AZURE_REGIONS).map((r) => `"${r}"`).join(" or ")}`)];
}

export function kubernetesVersionRules(cfg: StackConfig): Problem[] {
    const v = cfg.cluster.kubernetesVersion;
    if (v === undefined) return [];
    const minor = v.split(".").slice(0, 2).join(".");
    const k = [key("cluster", "kubernetesVersion")];
    const supported = AKS_SUPPORTED_MINORS.join(", ");
    if (AKS_SUPPORTED_MINORS.includes(minor)) return [];
    if (AKS_LTS_ONLY_MINORS.includes(minor)) {
        return [error(k, `"${v}": Kubernetes ${minor} is out of AKS community support (release calendar, ${AKS_CALENDAR_DATE}); only LTS (Premium tier + support plan, which this program does not set) still creates it`, `use one of ${supported}`)];
    }
    const [major, m] = minor.split(".").map(Number);
    const newest = Number(AKS_SUPPORTED_MINORS[AKS_SUPPORTED_MINORS.length - 1].split(".")[1]);
    const why = major === 1 && m > newest ? `is not GA on AKS yet (${AKS_CALENDAR_DATE})` : `is long out of AKS support`;
    return [error(k, `"${v}": Kubernetes ${minor} ${why}`, `use one of ${supported}, or remove kubernetesVersion for AKS's default`)];
}

export function kedaVersionRules(cfg: StackConfig): Problem[] {
    const v = cfg.keda.chartVersion;
    const k = [key("keda", "chartVersion")];
    const good = KEDA_CHART_KNOWN_GOOD.map((g) => `"${g}"`).join(", ");
    if (KEDA_CHART_KNOWN_BAD[v]) return [error(k, `KEDA chart "${v}": ${KEDA_CHART_KNOWN_BAD[v]}`, `use ${good}`)];
    const problems: Problem[] = [];
    if (!KEDA_CHART_KNOWN_GOOD.includes(v)) {
        problems.push(
            error(k, `KEDA chart "${v}" is not a version kedascale is tested with; the chart has no values schema, so Helm would silently ignore any value it does not read (identity, API rate, resources)`, `use ${good}, or check every value in components/plan/kedaChart.ts against that chart's values.yaml and add it to components/limits/platform.ts`),
        );
    }
    const kv = cfg.cluster.kubernetesVersion;
    const tested = KEDA_TESTED_MINORS[v.split(".").slice(0, 2).join(".")];
    if (kv && tested && !tested.includes(kv.split(".").slice(0, 2).join("."))) {
        problems.push(warning([key("cluster", "kubernetesVersion"), ...k], `KEDA ${v} is tested on Kubernetes ${tested.join(", ")}, not ${kv}`, `use Kubernetes ${tested.filter((t) => AKS_SUPPORTED_MINORS.includes(t)).join(" or ")}, or a KEDA release tested on ${kv} once there is one`));
    }
    return problems;
}

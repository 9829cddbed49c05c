/**
 * Regenerates timeline/examples/scale1000.png (the picture docs/burst-picture.md shows): simulate the scale1000 stack with its own
 * config, default parameters and seed 1, render the HTML and screenshot it in headless Debian Chromium.
 * `npx tsx timeline/examples/render-example.ts`
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { boundingKnob } from "../model/bounds";
import { modelInputs, readStack } from "../model/fromStack";
import { defaultParams } from "../model/params";
import { ensureChromium, openInChromium } from "../render/chromium";
import { renderHtml } from "../render/html";

async function main(): Promise<void> {
    const chromium = ensureChromium((l) => console.log(l));
    if (!chromium.path) throw new Error(chromium.reason);
    const report = boundingKnob(modelInputs("scale1000", readStack("scale1000")), defaultParams(), { seed: 1 });
    const tl = { ...report.base.timeline, notes: [report.creationLine!, `bounded by: ${report.bound?.knob ?? "the work itself"}`] };
    const shot = await openInChromium(renderHtml(tl), { width: 1000, height: 600 }, chromium.path);
    const out = join(__dirname, "scale1000.png");
    writeFileSync(out, shot.png);
    await shot.close();
    console.log(`wrote ${out}`);
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});

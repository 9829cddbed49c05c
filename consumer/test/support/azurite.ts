/** The tests' Azurite is the demo's (src/azurite.ts): one implementation of ports, start-up and clean-up. */
export { freePort, startAzurite, type Azurite } from "../../src/azurite";

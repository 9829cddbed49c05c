/**
 * Stack config → component args: the one module that reads the config schema on the components' behalf (no
 * component imports it). Each function maps one component's slice of config, with the names from plan/names.ts;
 * index.ts wires the components together. A new target (another cluster kind, Container Apps) adds its mapping here.
 */
export * from "./core";
export * from "./containerApps";
export * from "./virtualNodes";
export * from "./local";
export * from "./images";

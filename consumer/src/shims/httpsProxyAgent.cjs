/**
 * Stands in for `https-proxy-agent` where the SDK's HTTP pipeline imports it (scripts/bundleTweaks.mjs). The pipeline
 * imports both proxy agents when it loads but builds one only when a proxy is configured (HTTPS_PROXY, …); loading
 * them pulls in agent-base, debug (which loads Node's tty and probes the terminal) and Node's assert: ~5-10 ms of every
 * Job's start (issue 15). The real package loads on first use.
 */
"use strict";
module.exports = {
    get HttpsProxyAgent() {
        return require("https-proxy-agent").HttpsProxyAgent;
    },
};

/** Stands in for `http-proxy-agent` where the SDK's HTTP pipeline imports it: see httpsProxyAgent.cjs. */
"use strict";
module.exports = {
    get HttpProxyAgent() {
        return require("http-proxy-agent").HttpProxyAgent;
    },
};

/** Set by the build (scripts/build.mjs); absent when running from source. */
declare const __TANDEM_BUILD_ID__: string | undefined;

/** This binary's build id, written to agent.json so a control plane can spot an agent of another build. */
export const BUILD_ID = typeof __TANDEM_BUILD_ID__ === 'string' ? __TANDEM_BUILD_ID__ : 'source';

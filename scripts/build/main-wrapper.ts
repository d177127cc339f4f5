// The binary's main bundle is a CommonJS module: scripts/build/loader.ts compiles it as a
// function of these parameters, as Node compiles one, and the build makes its V8 code cache
// the same way.
export const MAIN_PARAMS = ["exports", "require", "module", "__filename", "__dirname"];

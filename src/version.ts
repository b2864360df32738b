/**
 * @module version
 * The runtime's version and the module API version modules check against with their `grocketd` semver range.
 */
import pkg from "../package.json" with { type: "json" };

/** The grocketd release. */
export const VERSION: string = pkg.version;

/**
 * The module API version. Modules declare `grocketd: "^0.1.0"`; a breaking change to the module contract bumps this
 * (major, or minor while 0.x), independent of releases that only change the runtime.
 */
export const API_VERSION = "0.1.0";

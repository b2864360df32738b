// The http contract (http-contract.ts) for http and https × inline and pool mode.
import { setDefaultTimeout } from "bun:test";
import { runHttpContract } from "./http-contract.ts";

setDefaultTimeout(30_000);
for (const scheme of ["http", "https"] as const) {
  for (const mode of ["inline", "pool"] as const) runHttpContract({ scheme, mode });
}

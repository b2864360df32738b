// The proc contract (proc-contract.ts) for every transport × inline and pool mode.
import { setDefaultTimeout } from "bun:test";
import { runProcContract } from "./proc-contract.ts";

setDefaultTimeout(30_000);
for (const transport of ["tcp", "tls", "udp", "http-binary", "ws", "wss"] as const) {
  for (const mode of ["inline", "pool"] as const) runProcContract({ transport, mode });
}

// Preloaded by bunfig.toml for every test file: a default timeout that suits tests which start real servers
// (bunfig's own [test] timeout is ignored by Bun 1.4).
import { setDefaultTimeout } from "bun:test";

setDefaultTimeout(20_000);

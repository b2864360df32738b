/**
 * @module error-table
 * Every code grocketd fails with, and the templates of its messages (`%{name}` is a parameter; src/errors.ts makes
 * the errors from them). `seen` says who meets it: `start` stops a start, a reload or a command (stderr, exit 1 or 2);
 * `module` is thrown to or handed to module code; `log` is logged where it happened; `client` is a canned HTTP
 * rejection (the access-log line and the debug line carry the code); `internal` is grocketd misusing its own parts (a
 * bug if seen). docs/errors.md is rendered from this table.
 */

interface CodeSpec {
  readonly seen: "start" | "module" | "log" | "client" | "internal";
  /** The HTTP status it is answered with, where there is one. */
  readonly status?: number;
  readonly meaning: string;
  readonly messages: Readonly<Record<string, string>>;
}

export const ERROR_TABLE = {
  // Start-up, reload and the command.
  GRK_ERR_CONFIG: {
    seen: "start",
    meaning: "A configuration value or key is wrong (file, environment or flag), or a module asked for a key that does not exist.",
    messages: {
      problems: "%{problems}",
      noSection: 'config section "%{section}" does not exist (%{known})',
      noKey: 'config key "%{section}.%{key}" does not exist (keys in [%{section}]: %{known})',
      wrongType: 'config "%{section}.%{key}" is %{value}, not %{expected}',
      noZodBuilder: "a described schema (config/schema-shape.ts) calls %{call}, which the installed zod does not have",
    },
  },
  GRK_ERR_CONFIG_FILE: {
    seen: "start",
    meaning: "The config file could not be read or is not valid TOML.",
    messages: {
      unreadable: "cannot read config file %{file}: %{reason}",
      toml: "%{file}%{where}: not valid TOML: %{reason}",
    },
  },
  GRK_ERR_CLI: {
    seen: "start",
    meaning: "A command-line flag is unknown or malformed, or `grocketd reload` cannot reach a running master.",
    messages: {
      usage: "%{problem}; see --help",
      noPidFile: "reload: no pid file known (give --pid-file FILE, or set server.pid_file in the configuration)",
      pidFile: "reload: %{problem} (is grocketd running?)",
      notMaster: "reload: pid file %{file} names process %{pid}, and %{why}; no signal sent",
      signal: "reload: cannot signal process %{pid} from %{file}: %{reason}",
    },
  },
  GRK_ERR_PID_FILE: {
    seen: "start",
    meaning: "`server.pid_file` cannot be used: unreadable, a symbolic link, not a regular file, or a running master's.",
    messages: {
      unreadable: "server.pid_file = %{path}: %{reason}",
      symlink: "server.pid_file = %{path} is a symbolic link; refusing to follow it (remove it, or choose a path in a directory only grocketd's user can write)",
      notFile: "server.pid_file = %{path} exists and is not a regular file",
      running: "server.pid_file = %{path} belongs to grocketd process %{pid}, which is still running (stop it, or choose another pid file)",
      becameSymlink: "server.pid_file = %{path} became a symbolic link; not written",
    },
  },
  GRK_ERR_MODULE_IMPORT: {
    seen: "start",
    meaning: "A module file could not be imported (not found, a syntax error with file:line:col, or its body threw).",
    messages: {
      notFound: "%{file}: module file not found",
      failed: "%{file}: cannot import module: %{reason}",
    },
  },
  GRK_ERR_MODULE_MANIFEST: {
    seen: "start",
    meaning: "A module's manifest is invalid (each problem names the file and the field).",
    messages: {
      problems: "%{problems}",
      notAModule: "%{file}: the default export must be a module made with defineModule({...}), got %{got}",
      changed: '%{file}: it no longer exports module "%{module}" (changed since the master validated it)',
    },
  },
  GRK_ERR_MODULE_VERSION: {
    seen: "start",
    meaning: "A module was written for a module API range this grocketd does not satisfy.",
    messages: {
      range: '%{file}: field "grocketd": module "%{module}" requires grocketd module API %{range}, this grocketd provides %{provided}',
    },
  },
  GRK_ERR_MODULE_HOOK: {
    seen: "start",
    meaning: "A module's `init` failed at start-up (in the master, a process or a thread).",
    messages: {
      init: "module %{module} (%{file}): init failed in %{where}: %{reason}",
    },
  },
  GRK_ERR_LIBRARY: {
    seen: "module",
    meaning:
      "Libraries: a required library missing, outside its range, provided twice or in a cycle (at start-up), or a class " +
      "used the wrong way (unknown class, `create` of a singleton, a library not declared in `requires`, a bad counter name).",
    messages: {
      problems: "%{problems}",
      undeclared: 'module "%{module}" (%{file}) uses library "%{library}" without declaring it: add requires: { "%{library}": "<semver range>" }',
      notProvided: 'library "%{library}" is not provided on this thread',
      released: 'library "%{library}" was released at term on this thread; its objects are gone',
      noClass: 'library "%{library}" has no class "%{className}" (classes: %{classes})',
      isSingleton: 'class "%{className}" of library "%{library}" is a singleton: use singleton("%{className}")',
      notSingleton: 'class "%{className}" of library "%{library}" is not a singleton: use create("%{className}", ...)',
      selfSingleton: 'singleton "%{className}" of library "%{library}" asked for itself while being created',
      counterName: 'module "%{module}": counter name %{name}: expected letters, digits, "_", ".", ":" or "-" (1-64 characters)',
    },
  },
  GRK_ERR_LISTEN: {
    seen: "start",
    meaning: "A listen entry cannot be served (address in use, no hook for its protocol, ...).",
    messages: {
      failed: "cannot listen on %{url}: %{reason}",
      udpNoProc: '%{url}: module "%{module}" has no proc hook, which udp:// needs',
      noProc: "module %{module} has no proc hook",
    },
  },
  GRK_ERR_THREAD_START: {
    seen: "start",
    meaning: "An I/O thread, handler thread or child process did not start (its own code is kept when it had one).",
    messages: {
      timeout: "threads did not start within server.start_timeout_ms (%{ms} ms)",
      process: "process %{index} could not start: %{reason}",
      thread: "%{label} %{index} could not start: %{reason}",
    },
  },
  GRK_ERR_ACCESS_LOG: {
    seen: "start",
    meaning: "The access log (`access_log.path`, `access_log.format`) cannot be opened or written.",
    messages: {
      format: "access_log.format: %{problem}",
      open: "access_log.path: cannot open %{path}: %{reason}",
      shortWrite: "short write to %{where}",
    },
  },
  GRK_ERR_STATUS: {
    seen: "start",
    meaning: "The status listener (`status.listen`) is refused or cannot listen.",
    messages: {
      url: "status.listen: %{url}: %{problem}",
      unsafe: "%{problem}",
      listen: "status.listen: cannot listen on %{url}: %{reason}",
    },
  },
  // Misuse of the module API and failed hooks, thrown to module code (misuse(): a built-in class with a `code`) or
  // handed to its `error` hook.
  GRK_ERR_RESPONSE_STATE: {
    seen: "module",
    meaning: "A response method called when the response cannot take it: finished, headers sent, `send()` while streaming.",
    messages: {
      headersSent: "%{call}(): headers already sent",
      finished: "%{call}(): response already finished",
      streaming: "send(): a streamed response is ended with end()",
    },
  },
  GRK_ERR_RESPONSE_VALUE: {
    seen: "module",
    meaning: "A bad status, header or body for a response or `staticResponse` (not a final status, CR/LF, a header grocketd sets).",
    messages: {
      status: "status(): %{status} is not a final status code (200-999)",
      ownHeader: 'header(): "%{name}" is set by grocketd',
      headerName: "invalid header name %{name} (RFC 9110 §5.1: a token)",
      headerValue: 'invalid value for header "%{name}": control characters such as CR, LF or NUL are not allowed (RFC 9110 §5.5)',
      noJson: "json(): the value has no JSON form (undefined, a function or a symbol)",
      staticStatus: "staticResponse: status %{status} is not a final status code (200-999)",
      staticBody: "staticResponse: status %{status} cannot have a body (RFC 9110 §6.4.1)",
      staticOwnHeader: 'staticResponse: header "%{name}" is set by grocketd',
    },
  },
  GRK_ERR_PROC_RESULT: {
    seen: "module",
    status: 500,
    meaning: "`proc` (or `draining`) returned or resolved to something other than bytes, a string or nothing (binary over HTTP answers 500).",
    messages: {
      returned: "%{hook} returned %{got}, not a Uint8Array, a string, nothing or a Promise of one",
      resolved: "%{hook}'s Promise resolved to %{got}, not a Uint8Array, a string or nothing",
    },
  },
  GRK_ERR_FETCH_RESULT: {
    seen: "module",
    status: 500,
    meaning: "The `fetch` hook answered with something other than a `Response` (or its body stream gave something other than bytes), or the `error` hook with something it may not.",
    messages: {
      notResponse: "the fetch hook must return a Response, got %{got}",
      bodyChunk: "a Response body stream gave %{got}, not bytes",
      errorAnswer: "the error hook must return a Response, a string or bytes",
    },
  },
  GRK_ERR_NO_RESPONSE: {
    seen: "module",
    status: 500,
    meaning: "The `http` hook settled without sending a response or returning a body.",
    messages: {
      none: "the http hook finished without sending a response",
    },
  },
  GRK_ERR_UPGRADE_RESULT: {
    seen: "log",
    status: 500,
    meaning: "A WebSocket `upgrade` hook's Promise resolved to another Promise-like (it must settle to its answer).",
    messages: {
      promise: "resolved to a Promise",
    },
  },
  GRK_ERR_REQUEST_BODY: {
    seen: "module",
    meaning: "A streamed request body ended early: the client left, the body was refused mid-stream, or the response went out before it was read.",
    messages: {
      closed: "the client closed the connection before the request body was complete",
      ended: "the client ended the connection before the request body was complete",
      refused: "request body refused (%{status}): %{why}",
      unread: "the response was sent before the request body was read",
    },
  },
  GRK_ERR_HANDLER_LOST: {
    seen: "log",
    status: 503,
    meaning: "Pool mode: the handler thread that owed a reply died or stopped, or none is alive (all are restarting).",
    messages: {
      died: "the handler thread died",
      retired: "the recycled handler thread stopped",
      none: "no handler thread is alive (all are restarting)",
    },
  },
  // Rejections the server makes on its own: canned responses (http/http-errors.ts), always with Connection: close.
  GRK_HTTP_BAD_REQUEST: { seen: "client", status: 400, meaning: "malformed request (RFC 9112 §2.2, §3, §5; RFC 9110 §5.5)", messages: {} },
  GRK_HTTP_NOT_FOUND: { seen: "client", status: 404, meaning: "no handler for the target", messages: {} },
  GRK_HTTP_METHOD_NOT_ALLOWED: { seen: "client", status: 405, meaning: "binary over HTTP takes POST only (RFC 9110 §15.5.6)", messages: {} },
  GRK_HTTP_REQUEST_TIMEOUT: { seen: "client", status: 408, meaning: "head or body not received in time (RFC 9110 §15.5.9)", messages: {} },
  GRK_HTTP_CONTENT_TOO_LARGE: { seen: "client", status: 413, meaning: "body larger than http.max_body_bytes (RFC 9110 §15.5.14)", messages: {} },
  GRK_HTTP_URI_TOO_LONG: { seen: "client", status: 414, meaning: "request-target longer than http.max_url_bytes (RFC 9110 §15.5.15)", messages: {} },
  GRK_HTTP_EXPECTATION_FAILED: { seen: "client", status: 417, meaning: "an Expect other than 100-continue (RFC 9110 §10.1.1)", messages: {} },
  GRK_HTTP_HEADERS_TOO_LARGE: { seen: "client", status: 431, meaning: "head larger than http.max_head_bytes or more than http.max_headers fields (RFC 6585 §5)", messages: {} },
  GRK_HTTP_HANDLER_ERROR: { seen: "client", status: 500, meaning: "the module's handler failed", messages: {} },
  GRK_HTTP_NOT_IMPLEMENTED: { seen: "client", status: 501, meaning: "unknown method or transfer coding (RFC 9110 §9.1, RFC 9112 §6.1)", messages: {} },
  GRK_HTTP_UNAVAILABLE: { seen: "client", status: 503, meaning: "the server is shutting down or the handler is gone", messages: {} },
  GRK_HTTP_VERSION_NOT_SUPPORTED: { seen: "client", status: 505, meaning: "HTTP major version other than 1 (RFC 9110 §15.6.6)", messages: {} },
  // The llhttp binding (http/llhttp/): the installed binary, or grocketd's own use of the parser going wrong. Parse
  // errors of the byte stream are not thrown (RequestParser.execute returns them as numbers: the hot path).
  GRK_ERR_LLHTTP_BINARY: {
    seen: "start",
    meaning: "The installed `llhttp-wasm` binary is not the pinned one (hash, imports or exports differ) or cannot be read.",
    messages: {
      notPinned: "%{source} does not contain the pinned llhttp 9.3.0 WASM binary: %{found}. Reinstall the exact version pinned in package.json, or update the pin in src/http/llhttp/wasm-loader.ts after reviewing the new binary.",
      unreadable: "cannot read the llhttp WASM binary from %{pkg}@%{version} (%{file}): %{reason}",
      adopted: "the llhttp module handed to this thread is not the pinned one: %{found}",
    },
  },
  GRK_ERR_LLHTTP_REENTRANT: {
    seen: "internal",
    meaning: "`execute`/`finish` called from inside a parser callback (llhttp is not re-entrant; one shared input buffer).",
    messages: { reentrant: "RequestParser called from inside a parser callback" },
  },
  GRK_ERR_LLHTTP_DESTROYED: {
    seen: "internal",
    meaning: "A parser method called after `destroy()`.",
    messages: { destroyed: "RequestParser used after destroy()" },
  },
  GRK_ERR_LLHTTP_ALLOC: {
    seen: "internal",
    meaning: "`malloc` inside the WASM instance returned NULL (its memory could not grow).",
    messages: { malloc: "llhttp WASM malloc(%{size}) failed", parser: "llhttp_alloc failed" },
  },
  GRK_ERR_LLHTTP_BAD_LIMITS: {
    seen: "internal",
    meaning: "Parser limits are not positive whole numbers.",
    messages: { limit: "parser limit %{key} must be an integer in 1..2^30, got %{value}" },
  },
  // The SharedArrayBuffer ring (ring/): grocketd's own use of it going wrong.
  GRK_ERR_RING_RECORD_TOO_LARGE: {
    seen: "internal",
    meaning: "A record is larger than the ring can ever hold (its capacity minus the record header).",
    messages: {
      record: "ring record of %{len} bytes exceeds the limit of %{limit} bytes (ring capacity %{capacity} bytes minus %{header} header bytes); use a larger ring or split the record",
    },
  },
  GRK_ERR_RING_BAD_CAPACITY: {
    seen: "internal",
    meaning: "A ring's requested capacity is not a whole number in the supported range.",
    messages: {
      capacity: "ring capacity must be a whole number of bytes from 1 to %{max}, got %{got}",
    },
  },
  GRK_ERR_RING_BAD_LAYOUT: {
    seen: "internal",
    meaning: "A SharedArrayBuffer is not a ring of this layout version (wrong size, magic or version), or a record is cut short.",
    messages: {
      layout: "not a grocketd ring (layout %{version}): %{why}",
      shortRecord: "ring record of %{len} bytes is shorter than its %{fieldBytes} field bytes",
    },
  },
  GRK_ERR_RING_BAD_RANGE: {
    seen: "internal",
    meaning: "An offset/length pair does not lie inside its array, or a length or field count is not a whole number in range.",
    messages: {
      push: "ring push range off=%{off} len=%{len} outside %{size} bytes",
      length: "ring record length must be a whole number >= 0, got %{len}",
      fieldCount: "record field count must be 0..64, got %{got}",
      payload: "record payload off=%{off} len=%{len} outside %{size} bytes",
      fields: "record needs %{want} fields, got %{got}",
    },
  },
  GRK_ERR_RING_NO_RESERVATION: {
    seen: "internal",
    meaning: "`commit()` without a matching `reserve()`, or committing more than was reserved.",
    messages: {
      none: "ring commit() without a reserve()",
      outside: "ring commit(%{len}) outside the reserved 0..%{reserved} bytes",
    },
  },
} as const satisfies Readonly<Record<`GRK_${string}`, CodeSpec>>;

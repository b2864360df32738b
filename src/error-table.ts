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

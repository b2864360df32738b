/**
 * @module module/object-registry
 * The objects of one thread (the original's `gr_class_t` factories and singletons): `create` makes a new object
 * of a class, `singleton` makes a singleton class's one object lazily on first use and keeps it, and at `term` the
 * singletons of a library are released (its `release` hook) in reverse order of creation. Nothing here is shared
 * between threads: each thread imports its own copy of the modules, so each has its own objects.
 */
import { describeError, grocketdError, type MessageName, type Params } from "../errors.ts";
import type { ClassDefinition, LibraryDefinition, LibraryHandle } from "./library-types.ts";

interface Made {
  readonly library: string;
  readonly className: string;
  readonly cls: ClassDefinition;
  readonly obj: unknown;
}

/** A misused library or class (GRK_ERR_LIBRARY), thrown to the module that asked. */
const fail = <M extends MessageName<"GRK_ERR_LIBRARY">>(name: M, params: Params<"GRK_ERR_LIBRARY", M>): never => {
  throw grocketdError("GRK_ERR_LIBRARY", name, params);
};

export class ObjectRegistry {
  private readonly libraries = new Map<string, LibraryDefinition>();
  private readonly singletons = new Map<string, Made>();
  /** Singletons in creation order, for release in reverse. */
  private readonly made: Made[] = [];
  private readonly creating = new Set<string>();
  private readonly released = new Set<string>();

  register(library: string, def: LibraryDefinition): void {
    this.libraries.set(library, def);
  }

  /** The untyped handle; callers give it the provider's type (`LibraryHandle<KvLibrary>`). */
  handle(library: string): LibraryHandle {
    const def = this.libraries.get(library) ?? fail("notProvided", { library });
    const untyped = {
      name: library,
      version: def.version,
      create: (className: string, ...args: unknown[]) => this.create(library, className, args),
      singleton: (className: string) => this.singleton(library, className),
    };
    // The class names and object types are only known to the caller's type parameter, checked by tsc there.
    return untyped as unknown as LibraryHandle;
  }

  private classOf(library: string, className: string): ClassDefinition {
    if (this.released.has(library)) fail("released", { library });
    const def = this.libraries.get(library) ?? fail("notProvided", { library });
    if (!Object.hasOwn(def.classes, className)) {
      fail("noClass", { library, className, classes: Object.keys(def.classes).join(", ") || "none" });
    }
    return def.classes[className]!;
  }

  create(library: string, className: string, args: readonly unknown[]): unknown {
    const cls = this.classOf(library, className);
    if (cls.singleton === true) fail("isSingleton", { library, className });
    return (cls.create as (...a: unknown[]) => unknown)(...args);
  }

  singleton(library: string, className: string): unknown {
    const key = `${library}\0${className}`;
    const have = this.singletons.get(key);
    if (have) return have.obj;
    const cls = this.classOf(library, className);
    if (cls.singleton !== true) {
      fail("notSingleton", { library, className });
    }
    if (this.creating.has(key)) fail("selfSingleton", { library, className });
    this.creating.add(key);
    try {
      const made: Made = { library, className, cls, obj: (cls.create as () => unknown)() };
      this.singletons.set(key, made);
      this.made.push(made);
      return made.obj;
    } finally {
      this.creating.delete(key);
    }
  }

  /**
   * Releases the singletons of these libraries, newest first, and refuses further use of them. A failing `release`
   * is reported through `onError` and does not stop the others.
   */
  release(libraries: readonly string[], onError: (library: string, className: string, message: string) => void): void {
    const which = new Set(libraries);
    for (let i = this.made.length - 1; i >= 0; i--) {
      const m = this.made[i]!;
      if (!which.has(m.library)) continue;
      this.made.splice(i, 1);
      this.singletons.delete(`${m.library}\0${m.className}`);
      try {
        m.cls.release?.(m.obj as never);
      } catch (err) {
        onError(m.library, m.className, describeError(err));
      }
    }
    for (const l of which) this.released.add(l);
  }

  /** Singletons alive on this thread, as "library.Class", oldest first (for tests and diagnostics). */
  liveSingletons(): string[] {
    return this.made.map((m) => `${m.library}.${m.className}`);
  }
}

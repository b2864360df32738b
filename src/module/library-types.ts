/**
 * @module module/library-types
 * The library/class/object model as types (the original's `gr_library_t` and class tables): a module *provides*
 * libraries of classes and *requires* other libraries by semver range; the runtime hands out typed handles.
 * Typing flows from the provider's exported `typeof` to the consumer without importing the provider's code:
 *
 * ```ts
 * // provider                                   // consumer
 * export const kv = defineLibrary({...});       import type { KvLibrary } from "./kv-store.ts";
 * export type KvLibrary = typeof kv;            const store = ctx.require<KvLibrary>("kv").singleton("Store");
 * ```
 * Kept free of runtime code.
 */
import type { ListenProtocol } from "../config/listen-url.ts";
import type { Logger } from "../log/logger.ts";
import type { Role } from "./conn-types.ts";

/**
 * One class of a library: a factory, optionally a singleton (one object per thread, made on first use), and an
 * optional `release` called for every singleton at `term` (in reverse order of creation).
 * `create(...args: never)` accepts any factory signature; the exact one is kept by `defineLibrary`.
 */
export interface ClassDefinition<T = unknown> {
  create(...args: never): T;
  readonly singleton?: boolean;
  release?(obj: T): void;
}

export type ClassTable = { readonly [className: string]: ClassDefinition };

/** A library: a semver version and its classes. Declared under `provides: { <library name>: ... }`. */
export interface LibraryDefinition<C extends ClassTable = ClassTable> {
  readonly version: string;
  readonly classes: C;
}

type ClassesOf<L> = L extends LibraryDefinition<infer C> ? C : ClassTable;
/** An untyped handle (no library type given) accepts any class name and arguments. */
type Loose<C> = string extends keyof C ? true : false;

/** Names of the classes declared `singleton: true`. */
export type SingletonName<L> = Loose<ClassesOf<L>> extends true
  ? string
  : { [K in keyof ClassesOf<L>]: ClassesOf<L>[K] extends { readonly singleton: true } ? K : never }[keyof ClassesOf<L>] & string;

/** Names of the classes made with `create` (every class that is not a singleton). */
export type FactoryName<L> = Loose<ClassesOf<L>> extends true ? string : Exclude<keyof ClassesOf<L> & string, SingletonName<L>>;

/** The type of the objects of class `K` of library `L`, e.g. `InstanceOf<KvLibrary, "Store">`. */
export type InstanceOf<L, K extends string> = K extends keyof ClassesOf<L>
  ? ClassesOf<L>[K] extends { create(...args: never): infer T }
    ? T
    : never
  : unknown;

/** The arguments of class `K`'s factory. */
export type CreateArgs<L, K extends string> = Loose<ClassesOf<L>> extends true
  ? unknown[]
  : K extends keyof ClassesOf<L>
    ? ClassesOf<L>[K] extends { create(...args: infer A): unknown }
      ? A
      : never
    : never;

/** A required library as a module sees it, on one thread. */
export interface LibraryHandle<L extends LibraryDefinition = LibraryDefinition> {
  readonly name: string;
  /** The version the provider declares (satisfies the module's range). */
  readonly version: string;
  /** A new object of a non-singleton class. */
  create<K extends FactoryName<L>>(className: K, ...args: CreateArgs<L, K>): InstanceOf<L, K>;
  /** This thread's one object of a singleton class, created on the first call. */
  singleton<K extends SingletonName<L>>(className: K): InstanceOf<L, K>;
}

/** A per-thread counter of one module; it shows in the thread's statistics as `<module>.<name>`. */
export interface Counter {
  readonly name: string;
  add(n?: number): void;
  readonly value: number;
}

/** One listen entry with the module that serves it. Port 0 entries read 0 until the listeners are bound. */
export interface PortInfo {
  readonly url: string;
  readonly protocol: ListenProtocol;
  readonly hostname: string;
  readonly port: number;
  readonly module: string;
}

/**
 * The runtime's own library `grocketd` (the original's `gr_i_server_t`), one view per module and thread, available
 * from `init` on (`ctx.grocketd`, or `ctx.require("grocketd")`).
 */
export interface RuntimeLibrary {
  readonly name: "grocketd";
  /** The module API version this runtime provides. */
  readonly version: string;
  /**
   * Config getters over the validated configuration: the sections of docs/config.md (`server`, `io`, `http`,
   * `log`, ...) and `modules.<name>` (a module's own section, see `configSchema`). A key that is unset gives `def`; an unknown section or key, or a
   * value of another type, throws (a typo should fail at `init`, not read as the default forever).
   */
  getInt(section: string, key: string, def: number): number;
  getString(section: string, key: string, def: string): string;
  getBool(section: string, key: string, def: boolean): boolean;
  /** A logger whose lines carry the module's name. */
  readonly log: Logger;
  /** The module's counter `name` on this thread (made on first use). */
  counter(name: string): Counter;
  readonly ports: readonly PortInfo[];
  /** Thread index; 0 in the master. */
  readonly thread: number;
  readonly role: Role;
  /** True once this thread has begun to drain (stop accepting, finish in-flight replies). */
  readonly stopping: boolean;
}

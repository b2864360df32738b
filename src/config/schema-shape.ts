/**
 * @module config/schema-shape
 * The part of zod's builder API that the key table (config/keys.ts) and the module manifest (module/manifest.ts)
 * use, as a *description* instead of a zod schema: `z.string().regex(re, msg)` here records the calls it was made
 * of and nothing else, so defining the rules costs no zod. Two things read a description:
 * - config/fast-parse.ts decides directly whether a value is valid (the common case at every start, no zod at all);
 * - config/zod-compile.ts replays the very same calls on the real zod, loaded only when a value is not valid (or
 *   the fast check cannot tell), so every error message is zod's own, as before.
 * The rules are written once; the two readers cannot drift apart on a message because only zod produces messages,
 * and test/config/fast-parse.test.ts checks that whatever fast-parse accepts zod accepts with the same result.
 * Loading zod (its ~560 KB chunk in dist/bundle/) and building and running its schemas was ~100 ms of the master's
 * start (bench/startup.ts).
 */

/** What a refinement may do with its context: only report (zod's ctx has more; the fast check offers only this). */
export interface RefineCtx {
  addIssue(issue: { code: "custom"; message: string }): void;
}

/** A message, as zod accepts it: a string or `{ message }`. */
export type Params = string | { message?: string };

/** One recorded builder call after the first: `.min(1, "...")` is `{ m: "min", args: [1, "..."] }`. */
export interface Step {
  readonly m: string;
  readonly args: readonly unknown[];
}

/** A described schema of output type T: the builder call it started from (`base`, `args`) and the calls after it. */
export class Shape<T = unknown> {
  /** Type only: the output type, like zod's `_output`. */
  declare readonly _output: T;
  constructor(
    readonly base: string,
    readonly args: readonly unknown[],
    readonly steps: readonly Step[] = [],
  ) {}

  /** The same kind of shape with one call more (shapes are immutable, like zod's schemas). */
  protected then(m: string, args: readonly unknown[]): this {
    const Kind = this.constructor as new (base: string, args: readonly unknown[], steps: readonly Step[]) => this;
    return new Kind(this.base, this.args, [...this.steps, { m, args }]);
  }

  optional(): Shape<T | undefined> {
    return this.then("optional", []) as unknown as Shape<T | undefined>;
  }

  refine(fn: (v: T) => unknown, ...params: [] | [Params]): this {
    return this.then("refine", [fn, ...params]);
  }

  superRefine(fn: (v: T, ctx: RefineCtx) => void): this {
    return this.then("superRefine", [fn]);
  }
}

export class StringShape extends Shape<string> {
  regex(re: RegExp, ...params: [] | [Params]): this {
    return this.then("regex", [re, ...params]);
  }
  min(n: number, ...params: [] | [Params]): this {
    return this.then("min", [n, ...params]);
  }
  max(n: number, ...params: [] | [Params]): this {
    return this.then("max", [n, ...params]);
  }
}

export class NumberShape extends Shape<number> {
  int(...params: [] | [Params]): this {
    return this.then("int", params);
  }
  min(n: number, ...params: [] | [Params]): this {
    return this.then("min", [n, ...params]);
  }
  max(n: number, ...params: [] | [Params]): this {
    return this.then("max", [n, ...params]);
  }
}

export class ArrayShape<E> extends Shape<E[]> {
  min(n: number, ...params: [] | [Params]): this {
    return this.then("min", [n, ...params]);
  }
  max(n: number, ...params: [] | [Params]): this {
    return this.then("max", [n, ...params]);
  }
}

type Fields = Record<string, Shape<any>>;
type Out<S extends Fields> = { [K in keyof S]: S[K]["_output"] };

export class ObjectShape<S extends Fields = Fields> extends Shape<Out<S>> {
  /** The fields, like zod's `.shape`. */
  get shape(): S {
    return this.args[0] as S;
  }
  strict(): this {
    return this.then("strict", []);
  }
}

type Literal = string | number | boolean | null;

/** The builder: each function is named and called like zod's. */
export const z = {
  string: (...params: [] | [Params]) => new StringShape("string", params),
  number: (...params: [] | [Params]) => new NumberShape("number", params),
  boolean: (...params: [] | [Params]) => new Shape<boolean>("boolean", params),
  unknown: () => new Shape<unknown>("unknown", []),
  literal: <const V extends Literal>(v: V, ...params: [] | [Params]) => new Shape<V>("literal", [v, ...params]),
  enum: <const V extends readonly [string, ...string[]]>(values: V, ...params: [] | [Params]) => new Shape<V[number]>("enum", [values, ...params]),
  array: <E>(element: Shape<E>, ...params: [] | [Params]) => new ArrayShape<E>("array", [element, ...params]),
  union: <const O extends readonly Shape<any>[]>(options: O, ...params: [] | [Params]) =>
    new Shape<O[number]["_output"]>("union", [options, ...params]),
  /** `fn` maps the input before `inner` judges it (the environment gives strings where TOML gives numbers). */
  preprocess: <T>(fn: (v: unknown) => unknown, inner: Shape<T>) => new Shape<T>("preprocess", [fn, inner]),
  object: <S extends Fields>(fields: S, ...params: [] | [Params]) => new ObjectShape<S>("object", [fields, ...params]),
  strictObject: <S extends Fields>(fields: S, ...params: [] | [Params]) => new ObjectShape<S>("strictObject", [fields, ...params]),
  record: <V>(key: Shape<string>, value: Shape<V>, ...params: [] | [Params]) => new Shape<Record<string, V>>("record", [key, value, ...params]),
  custom: <T>(fn: (v: unknown) => boolean, ...params: [] | [Params]) => new Shape<T>("custom", [fn, ...params]),
};

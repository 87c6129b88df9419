/**
 * A tiny schema language for RPC bodies. Each RPC's request and response are described once with these
 * combinators; the TypeScript type is inferred from the schema (Infer<S>) and the same schema validates
 * every decoded body at the edge. A value that does not fit fails with EngineError(Der.PROTO, <path>: why),
 * so malformed input never reaches a handler. Objects are strict: unknown fields are rejected.
 * msgpack turns `undefined` into nil, so optional fields accept null and yield undefined.
 */
import { Der, EngineError } from './errors.js';

export interface Schema<T> {
  readonly describe: string;
  /** Returns the value as T or throws EngineError(Der.PROTO). */
  check(value: unknown, path: string): T;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

function fail(path: string, why: string): never {
  throw new EngineError(Der.PROTO, `${path || 'body'}: ${why}`);
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Buffer.isBuffer(value)) return 'bytes';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function uint(max: number = Number.MAX_SAFE_INTEGER): Schema<number> {
  return {
    describe: `uint<=${max}`,
    check(value, path) {
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) fail(path, `expected unsigned integer, got ${typeName(value)}`);
      if (value > max) fail(path, `${value} exceeds ${max}`);
      return value;
    },
  };
}

function bytes(maxLength: number, minLength = 0): Schema<Buffer> {
  return {
    describe: `bytes[${minLength}..${maxLength}]`,
    check(value, path) {
      if (!(value instanceof Uint8Array)) fail(path, `expected bytes, got ${typeName(value)}`);
      if (value.length < minLength || value.length > maxLength) fail(path, `length ${value.length} outside ${minLength}..${maxLength}`);
      return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    },
  };
}

function str(maxLength: number, minLength = 0): Schema<string> {
  return {
    describe: `string[${minLength}..${maxLength}]`,
    check(value, path) {
      if (typeof value !== 'string') fail(path, `expected string, got ${typeName(value)}`);
      if (value.length < minLength || value.length > maxLength) fail(path, `length ${value.length} outside ${minLength}..${maxLength}`);
      return value;
    },
  };
}

function bool(): Schema<boolean> {
  return {
    describe: 'bool',
    check(value, path) {
      if (typeof value !== 'boolean') fail(path, `expected boolean, got ${typeName(value)}`);
      return value;
    },
  };
}

function literal<const V extends string | number>(...values: V[]): Schema<V> {
  return {
    describe: values.map((value) => JSON.stringify(value)).join('|'),
    check(value, path) {
      if (!values.includes(value as V)) fail(path, `expected one of ${values.join(', ')}`);
      return value as V;
    },
  };
}

function array<T>(element: Schema<T>, maxLength: number): Schema<T[]> {
  return {
    describe: `${element.describe}[<=${maxLength}]`,
    check(value, path) {
      if (!Array.isArray(value)) fail(path, `expected array, got ${typeName(value)}`);
      if (value.length > maxLength) fail(path, `array length ${value.length} exceeds ${maxLength}`);
      return value.map((item, index) => element.check(item, `${path}[${index}]`));
    },
  };
}

function optional<T>(inner: Schema<T>): Schema<T | undefined> & { readonly optional: true } {
  return {
    optional: true,
    describe: `${inner.describe}?`,
    check(value, path) {
      return value === undefined || value === null ? undefined : inner.check(value, path);
    },
  };
}

function nullable<T>(inner: Schema<T>): Schema<T | null> {
  return {
    describe: `${inner.describe}|null`,
    check(value, path) {
      return value === null || value === undefined ? null : inner.check(value, path);
    },
  };
}

type Shape = Record<string, Schema<unknown>>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends { optional: true } ? K : never }[keyof S];
type RequiredKeys<S extends Shape> = Exclude<keyof S, OptionalKeys<S>>;
export type InferShape<S extends Shape> = { [K in RequiredKeys<S>]: Infer<S[K]> } & { [K in OptionalKeys<S>]?: Infer<S[K]> };
type Simplify<T> = { [K in keyof T]: T[K] } & {};

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

function object<S extends Shape>(shape: S): Schema<Simplify<InferShape<S>>> & { readonly shape: S } {
  const keys = Object.keys(shape);
  return {
    shape,
    describe: `{${keys.join(',')}}`,
    check(value, path) {
      if (!isPlainObject(value)) fail(path, `expected object, got ${typeName(value)}`);
      for (const key of Object.keys(value)) if (!Object.hasOwn(shape, key)) fail(path, `unknown field ${JSON.stringify(key)}`);
      const out: Record<string, unknown> = {};
      for (const key of keys) {
        const checked = shape[key]!.check(value[key], path ? `${path}.${key}` : key);
        if (checked !== undefined) out[key] = checked;
      }
      return out as Simplify<InferShape<S>>;
    },
  };
}

/** A map with string keys (user attributes and the like). */
function record<T>(element: Schema<T>, maxEntries: number, maxKeyLength: number): Schema<Record<string, T>> {
  return {
    describe: `record<${element.describe}>`,
    check(value, path) {
      if (!isPlainObject(value)) fail(path, `expected map, got ${typeName(value)}`);
      const entries = Object.entries(value);
      if (entries.length > maxEntries) fail(path, `map has ${entries.length} entries, limit ${maxEntries}`);
      const out: Record<string, T> = {};
      for (const [key, item] of entries) {
        if (key.length === 0 || key.length > maxKeyLength) fail(path, `key length ${key.length} outside 1..${maxKeyLength}`);
        out[key] = element.check(item, `${path}.${key}`);
      }
      return out;
    },
  };
}

/** Tagged union on a string field: variants are object schemas each carrying `tag: literal(name)`. */
function variant<const K extends string, V extends Record<string, Schema<Record<string, unknown>>>>(
  tag: K,
  variants: V,
): Schema<Infer<V[keyof V]>> {
  return {
    describe: `${tag}:${Object.keys(variants).join('|')}`,
    check(value, path) {
      if (!isPlainObject(value)) fail(path, `expected object, got ${typeName(value)}`);
      const name = value[tag];
      if (typeof name !== 'string' || !Object.hasOwn(variants, name)) fail(path, `unknown ${tag} ${JSON.stringify(name)}`);
      return variants[name]!.check(value, path) as Infer<V[keyof V]>;
    },
  };
}

export const t = { uint, bytes, str, bool, literal, array, optional, nullable, object, record, variant };

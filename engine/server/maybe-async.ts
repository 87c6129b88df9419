/**
 * Values that are ready now or later. The engine answers most reads synchronously (no intent in the way,
 * nothing to batch); passing such a value on as it is, instead of through a promise, saves the request a
 * microtask hop at each layer between the store and the wire.
 */
export type MaybeAsync<T> = T | Promise<T>;

export function isPromise<T>(value: MaybeAsync<T>): value is Promise<T> {
  return value instanceof Promise;
}

/** `fn` applied to the value: at once when it is ready, else when it settles. */
export function thenMaybe<T, R>(value: MaybeAsync<T>, fn: (value: T) => R): MaybeAsync<R> {
  return isPromise(value) ? value.then(fn) : fn(value);
}

/**
 * The values in order, at once when each was ready; else once all settled, the first failure in order
 * thrown (settleInOrder's contract). A synchronous throw before any value went async is thrown at once.
 */
export function allInOrder<T>(run: readonly (() => MaybeAsync<T>)[]): MaybeAsync<T[]> {
  const values: T[] = [];
  for (let index = 0; index < run.length; index++) {
    const value = run[index]!();
    if (!isPromise(value)) {
      values.push(value);
      continue;
    }
    const rest = [value, ...run.slice(index + 1).map((next) => {
      try {
        return Promise.resolve(next());
      } catch (error) {
        return Promise.reject(error);
      }
    })];
    return Promise.allSettled(rest).then((results) => [...values, ...results.map((result) => {
      if (result.status === 'rejected') throw result.reason;
      return result.value;
    })]);
  }
  return values;
}

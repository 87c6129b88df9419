/**
 * The router: the engine's HandlerRegistry, a map from request path (`/v1/<opcode>`) to the RPC definition
 * and its handler. Every service registers here at engine start; the listener looks routes up per request.
 * Invariant: one handler per opcode; a second registration is a programmer error and asserts. Routes are
 * only added, never removed, so a lookup that succeeded stays valid for the life of the engine.
 */
import assert from 'node:assert/strict';
import type { RpcDef } from '../wire/rpc-def.js';
import type { Handler, HandlerRegistry } from './registry.js';

/** A registered RPC: its definition (for request validation) and the handler that serves it. */
export interface Route {
  readonly def: RpcDef<unknown, unknown>;
  readonly handler: Handler<unknown, unknown>;
}

export class Router implements HandlerRegistry {
  private readonly routes = new Map<string, Route>();

  register<Req, Res>(def: RpcDef<Req, Res>, handler: Handler<Req, Res>): void {
    assert.ok(!this.routes.has(def.path), `duplicate handler for ${def.path}`);
    // The listener validates the body with def.request before calling the handler, so the handler only
    // ever receives a Req; erasing the type parameters here is what lets one map hold every RPC.
    this.routes.set(def.path, {
      def: def as unknown as RpcDef<unknown, unknown>,
      handler: handler as unknown as Handler<unknown, unknown>,
    });
  }

  /** The route for a request path, or undefined (the listener answers Der.NOSYS). */
  lookup(path: string): Route | undefined {
    return this.routes.get(path);
  }

  /** Opcodes served, for metrics and diagnostics. */
  opcodes(): string[] {
    return [...this.routes.values()].map((route) => route.def.opcode);
  }
}

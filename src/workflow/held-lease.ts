/** Option key (a symbol, so it is not public API) under which a worker hands over the lease it holds. */
export const HELD_LEASE: unique symbol = Symbol('okflow.heldLease')

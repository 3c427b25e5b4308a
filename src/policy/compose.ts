import { InvalidOptionsError } from '../errors.js'
import {
  type AnyPolicy,
  BasePolicy,
  isPolicy,
  type Layer,
  type Policy,
  type PolicyAdds,
  type PolicyHandles,
  type PolicyOk,
} from './executor.js'

/** `outer` around `inner`: inner's errors that outer handles are gone, outer's are added. */
type Around<O, I> = Policy<
  Exclude<PolicyAdds<I>, PolicyHandles<O>> | PolicyAdds<O>,
  PolicyOk<O> | PolicyOk<I>,
  PolicyHandles<O> | PolicyHandles<I>
>

/** The policy `policy(...ps)` makes: the first one outermost. */
export type Composed<Ps extends readonly AnyPolicy[]> = Ps extends readonly [
  infer P,
  ...infer Rest extends readonly AnyPolicy[],
]
  ? Around<P, Composed<Rest>>
  : Policy<never, never, never>

/**
 * Composes policies: `policy(a, b, c)` runs a call through `a`, then `b`, then `c`, then the
 * task: the first is outermost (`a(b(c(task)))`), as the call goes in. A common order is
 * `policy(fallback, retry, circuitBreaker, bulkhead, timeout)`: the retry sees each refusal
 * and failure, the breaker counts every attempt (and the timeouts inside it), the bulkhead
 * bounds calls that really go out. A policy may appear in several compositions: its state
 * (a breaker's counts, a bulkhead's slots) is shared by all of them.
 *
 * A non-policy argument or a policy built from bad options: the composition's `invalid` holds
 * that InvalidOptionsError and every `execute` returns it.
 */
export function policy<const Ps extends readonly AnyPolicy[]>(...policies: Ps): Composed<Ps> {
  const layers: Layer[] = []
  let bad: InvalidOptionsError | undefined
  for (let i = 0; i < policies.length; i++) {
    const p = policies[i]
    if (!isPolicy(p)) {
      bad ??= new InvalidOptionsError(
        `policies[${i}]`,
        p,
        'a policy (circuitBreaker, bulkhead, rateLimiter, fallback…)',
      )
      continue
    }
    bad ??= p.invalid
    layers.push(...p.layers)
  }
  return new BasePolicy(layers, bad) as unknown as Composed<Ps>
}

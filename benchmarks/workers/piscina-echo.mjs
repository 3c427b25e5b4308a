// piscina's version of okflow-tasks.mjs `echo`: moves the transferred ArrayBuffer back.
import { move } from 'piscina'

export default (buf) => {
  new Uint8Array(buf)[buf.byteLength - 1]++
  return move(buf)
}

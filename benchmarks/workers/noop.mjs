// The same trivial task for piscina and tinypool (both call the default export).
export default (n) => n

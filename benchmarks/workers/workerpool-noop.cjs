// The same trivial task for workerpool.
require('workerpool').worker({ noop: (n) => n })

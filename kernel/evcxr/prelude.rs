// Nothing is preloaded here on purpose: each notebook's first cell is its one `:dep` line, and
// a heavy `:dep` before the kernel answers would trip Jupyter's start-up timeout.

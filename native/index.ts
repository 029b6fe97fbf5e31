// Public native primitives (correlation, atomic counters). Filled in by the foundation issue.
export {};

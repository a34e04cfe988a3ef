#!/usr/bin/env node
// Placeholder entry point; replaced by the full CLI.
console.log('keyledger');

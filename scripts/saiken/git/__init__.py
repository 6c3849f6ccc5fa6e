"""Git integration: running git (batched), streaming its output, and the textconv and merge
drivers that show and merge encrypted records."""

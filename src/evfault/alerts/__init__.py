"""Alert rules and self-healing: pure decisions (rules, engine, messages) and their I/O."""

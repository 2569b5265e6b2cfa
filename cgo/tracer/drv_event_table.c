// Compiles the Debian driver source event_table.c with -DUDIG; see tracer-facts.md §2.1.
#include <event_table.c>

// Compiles the Debian driver source flags_table.c with -DUDIG; see tracer-facts.md §2.1.
#include <flags_table.c>

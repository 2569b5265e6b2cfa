// Compiles the Debian driver source fillers_table.c with -DUDIG; see tracer-facts.md §2.1.
#include <fillers_table.c>

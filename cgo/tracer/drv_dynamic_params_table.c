// Compiles the Debian driver source dynamic_params_table.c with -DUDIG; see tracer-facts.md §2.1.
#include <dynamic_params_table.c>

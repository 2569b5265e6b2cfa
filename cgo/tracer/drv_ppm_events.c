// Compiles the Debian driver source ppm_events.c with -DUDIG; see tracer-facts.md §2.1.
/* Upstream code, compiled as is: silence its known harmless warnings so -Wall -Werror holds for our code. */
#pragma GCC diagnostic ignored "-Wunused-variable"
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <ppm_events.c>

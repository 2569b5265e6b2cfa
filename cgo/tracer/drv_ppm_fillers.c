// Compiles the Debian driver source ppm_fillers.c with -DUDIG; it uses struct open_how without including it.
/* Upstream code, compiled as is: silence its known harmless warnings so -Wall -Werror holds for our code. */
#pragma GCC diagnostic ignored "-Wunused-variable"
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <linux/openat2.h>
#include <ppm_fillers.c>

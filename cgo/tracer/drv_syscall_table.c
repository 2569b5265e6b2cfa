// Compiles the Debian driver source syscall_table.c with -DUDIG; see tracer-facts.md §2.1.
#include <syscall_table.c>

/* entry.c: hidden-mode entry point. This constructor runs in EVERY process that links
 * package tracer (the falco-trace binary, test binaries), before the Go runtime starts and
 * while the process has a single thread. Without FT_ENV_MARKER=1 it returns at once. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "tracer.h"

__attribute__((constructor)) static void ft_entry(void)
{
	const char *marker = getenv(FT_ENV_MARKER);
	if (marker == NULL || strcmp(marker, "1") != 0)
		return;
	ft_tracer_main();
}

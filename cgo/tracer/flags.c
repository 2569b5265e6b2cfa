/* flags.c: exposes the driver's flag converters (static inline in ppm_flag_helpers.h) to
 * ptrace.c, with the system headers they need (the same set the driver sources include). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/quota.h>
#include <sys/sem.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <unistd.h>
#include <errno.h>

#include "udig_capture.h"
#include "ppm_events_public.h"
#include "ppm_flag_helpers.h"

#include "ft_internal.h"

uint32_t ft_clone_flags_to_scap(unsigned long flags) { return clone_flags_to_scap(flags); }

/* ring.c: the producer side of libscap's udig ring (tracer-facts.md §1, §6.2).
 * Reimplements the mapping of scap_udig.c (no libscap call) and the write protocol:
 * one writer (this single-threaded process), head/tail re-read per event, header+params
 * written first, len last, full barrier, then head. Records only while a consumer captures. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "udig_capture.h"
#include "ppm_ringbuffer.h"
#include "ppm_events_public.h"
#include "ppm_events.h"
#include "ppm.h"

#include "ft_internal.h"

#define FT_RING_SIZE (8u * 1024u * 1024u) /* must equal RING_BUF_SIZE: both sides wrap with it */
#define FT_DESCS_SIZE 128u

/* RING_BUF_SIZE is a runtime-typed const on this header version; checked in ft_ring_map. */

/* Mirror of libscap's struct udig_ring_buffer_status (scap.h:578-585), offsets per
 * tracer-facts.md §1.2; declared here to avoid including scap.h. */
struct ft_udig_status {
	volatile uint64_t m_buffer_lock;
	volatile int m_initialized;
	volatile int m_capturing_pid;
	volatile int m_stopped;
	volatile struct timespec m_last_print_time;
	struct udig_consumer_t m_consumer;
};
_Static_assert(offsetof(struct ft_udig_status, m_capturing_pid) == 12, "layout");
_Static_assert(offsetof(struct ft_udig_status, m_stopped) == 16, "layout");
_Static_assert(offsetof(struct ft_udig_status, m_consumer) == 40, "layout");
_Static_assert(sizeof(struct ppm_ring_buffer_info) == 48, "layout");
_Static_assert(sizeof(struct ppm_evt_hdr) == 26, "layout");

static char *g_ring;
static struct ppm_ring_buffer_info *g_info;
static struct ft_udig_status *g_status;
static bool g_drop_on_full;
static char g_str_storage[4096] __attribute__((aligned(64)));

uint64_t ft_stat_written, ft_stat_dropped, ft_stat_filler_errors, ft_stat_bad_memory;

void ft_ring_set_drop_on_full(bool drop) { g_drop_on_full = drop; }

static void shm_name(char *out, size_t len, const char *id, const char *base)
{
	if (id == NULL || id[0] == 0)
		snprintf(out, len, "/%s", base);
	else
		snprintf(out, len, "/falco-trace.%s.%s", id, base);
}

static int open_sized(const char *name, size_t size, mode_t mode, char *errbuf, size_t errlen)
{
	int fd = shm_open(name, O_RDWR | O_CREAT | O_CLOEXEC, mode);
	if (fd < 0) {
		int e = errno;
		snprintf(errbuf, errlen, "shm_open %s: %s", name, strerror(e));
		return -e;
	}
	struct stat st;
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		snprintf(errbuf, errlen, "fstat %s: %s", name, strerror(e));
		return -e;
	}
	if (st.st_size == 0) {
		/* We created it: libscap makes the default objects world-accessible, ring ids stay 0600. */
		if (mode == 0666)
			(void)fchmod(fd, 0666);
		if (ftruncate(fd, (off_t)size) != 0) {
			int e = errno;
			close(fd);
			snprintf(errbuf, errlen, "ftruncate %s: %s", name, strerror(e));
			return -e;
		}
	} else if ((size_t)st.st_size != size) {
		close(fd);
		snprintf(errbuf, errlen, "%s has size %lld, want %zu", name, (long long)st.st_size, size);
		return -EINVAL;
	}
	return fd;
}

int ft_ring_map(const char *id, char *errbuf, size_t errlen)
{
	char name[256];
	mode_t mode = (id == NULL || id[0] == 0) ? 0666 : 0600;

	shm_name(name, sizeof name, id, "udig_buf");
	int fd = open_sized(name, FT_RING_SIZE, mode, errbuf, errlen);
	if (fd < 0)
		return fd;
	/* Double mapping: reserve 2x, then map the object twice back to back, so an event that
	 * wraps is contiguous memory for both sides (tracer-facts.md §1.3). */
	char *base = mmap(NULL, 2 * (size_t)FT_RING_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		goto fail_map;
	if (mmap(base, FT_RING_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED ||
	    mmap(base + FT_RING_SIZE, FT_RING_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) ==
		    MAP_FAILED)
		goto fail_map;
	close(fd);
	g_ring = base;

	shm_name(name, sizeof name, id, "udig_descs");
	fd = open_sized(name, FT_DESCS_SIZE, mode, errbuf, errlen);
	if (fd < 0)
		return fd;
	char *d = mmap(NULL, FT_DESCS_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (d == MAP_FAILED)
		goto fail_map;
	close(fd);
	g_info = (struct ppm_ring_buffer_info *)d;
	g_status = (struct ft_udig_status *)(d + sizeof(struct ppm_ring_buffer_info));
	/* Same initialisation rule as libscap: the first mapper wins the CAS and zeroes the state. */
	if (__sync_bool_compare_and_swap(&g_status->m_initialized, 0, 1)) {
		g_status->m_buffer_lock = 0;
		g_status->m_capturing_pid = 0;
		g_status->m_stopped = 0;
	}
	return 0;

fail_map : {
	int e = errno;
	if (fd >= 0)
		close(fd);
	snprintf(errbuf, errlen, "mmap %s: %s", name, strerror(e));
	return -e;
}
}

bool ft_ring_capturing(void)
{
	return g_status != NULL && g_status->m_capturing_pid != 0 && g_status->m_stopped == 0;
}

static uint32_t ring_free(void)
{
	uint32_t head = g_info->head, tail = g_info->tail;
	return tail > head ? tail - head - 1 : FT_RING_SIZE + tail - head - 1;
}

/* Lossless mode: wait for the consumer to make room. Returns false if the consumer went
 * away (its pid no longer exists or it stopped capturing), in which case we stop waiting. */
static bool wait_for_room(unsigned *spins)
{
	struct timespec ts = {0, 0};
	unsigned s = (*spins)++;
	ts.tv_nsec = s < 10 ? 20000 : (s < 100 ? 200000 : 2000000);
	nanosleep(&ts, NULL);
	if ((s & 63) == 63) {
		int pid = g_status->m_capturing_pid;
		if (pid == 0 || (kill(pid, 0) != 0 && errno == ESRCH))
			return false;
	}
	return ft_ring_capturing();
}

int ft_ring_record(uint16_t type, uint64_t tid, uint64_t *ctx, uint32_t syscall_id, ft_filler_fn fill)
{
	if (g_info == NULL || !ft_ring_capturing()) {
		/* A consumer is registered but stopped, e.g. marked stopped by the supervisor after the
		 * engine died and before its restart: this event is lost, count it. */
		if (g_status != NULL && g_status->m_capturing_pid != 0)
			ft_stat_dropped++;
		return 1;
	}
	if (fill == NULL)
		fill = g_ppm_events[type].filler_callback;
	if (fill == NULL)
		return -1;

	uint32_t nargs = g_event_info[type].nparams;
	unsigned spins = 0;
	g_info->n_evts++;
	for (;;) {
		uint32_t head = g_info->head;
		uint32_t freespace = ring_free();
		if (freespace >= sizeof(struct ppm_evt_hdr) + nargs * sizeof(u16) + 1) {
			struct ppm_evt_hdr *hdr = (struct ppm_evt_hdr *)(g_ring + head);
			struct event_filler_arguments args;
			memset(&args, 0, sizeof args);
			args.consumer = &g_status->m_consumer;
			args.buffer = g_ring + head + sizeof(struct ppm_evt_hdr);
			args.buffer_size = freespace - sizeof(struct ppm_evt_hdr);
			args.syscall_id = syscall_id;
			args.cur_g_syscall_code_routing_table = g_syscall_code_routing_table;
			args.nevents = (u32)g_info->n_evts;
			args.curarg = 0;
			args.nargs = nargs;
			args.arg_data_offset = nargs * sizeof(u16);
			args.arg_data_size = args.buffer_size - args.arg_data_offset;
			args.event_type = (enum ppm_event_type)type;
			args.regs = ctx;
			args.str_storage = g_str_storage;
			args.is_socketcall = false;
			args.fd = -1;
			args.enforce_snaplen = false;

			int res = fill(&args);
			if (res == PPM_SUCCESS) {
				if (args.curarg != args.nargs) {
					ft_stat_filler_errors++;
					g_info->n_drops_buffer++;
					ft_log(1, "corrupted filler for event type %u (added %u args, should have added %u)",
					       type, args.curarg, args.nargs);
					return -1;
				}
				struct timespec now;
				clock_gettime(CLOCK_REALTIME, &now); /* vDSO */
				hdr->ts = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
				hdr->tid = tid;
				hdr->type = type;
				hdr->nparams = nargs;
				hdr->len = (uint32_t)(sizeof(struct ppm_evt_hdr) + args.arg_data_offset);
				__sync_synchronize();
				g_info->head = (head + hdr->len) % FT_RING_SIZE;
				ft_stat_written++;
				return 0;
			}
			if (res != PPM_FAILURE_BUFFER_FULL) {
				/* Unreadable tracee memory (e.g. a bad pointer argument) or a filler bug: the
				 * event cannot be built; counted so that no drop is unexplained. */
				if (res == PPM_FAILURE_INVALID_USER_MEMORY)
					ft_stat_bad_memory++;
				else
					ft_stat_filler_errors++;
				ft_log(2, "filler for event type %u failed with %d", type, res);
				return -1;
			}
			if (freespace >= FT_RING_SIZE - 1) {
				/* Does not fit even in an empty ring. */
				g_info->n_drops_buffer++;
				ft_stat_dropped++;
				return 1;
			}
		}
		if (g_drop_on_full || !wait_for_room(&spins)) {
			g_info->n_drops_buffer++;
			ft_stat_dropped++;
			return 1;
		}
	}
}

/*
 * shim.h - extern "C" API of falco-trace over libsinsp (Debian libs e5c53d64).
 *
 * Compiled once, by bridge/sinsp (one-line wrapper shim.cpp there). Every
 * function catches every C++ exception before returning.
 *
 * Conventions
 *  - Handles are opaque. fts_inspector is created by fts_inspector_new and
 *    freed by fts_inspector_free. Filters and formatters are created from an
 *    inspector and keep a pointer to it: free them BEFORE their inspector.
 *  - Functions that can fail return 0 on success or a negative errno
 *    (-EINVAL bad argument, -EIO libsinsp/libscap error, -ENOMEM,
 *    -EALREADY state error) and set the inspector's last error, read with
 *    fts_last_error. Nothing here is thread-safe: one thread at a time per
 *    inspector (the Go side holds a mutex).
 *  - Strings passed in are borrowed for the duration of the call only.
 */
#ifndef FALCO_TRACE_SINSP_SHIM_H
#define FALCO_TRACE_SINSP_SHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fts_inspector fts_inspector;
typedef struct fts_filter fts_filter;
typedef struct fts_formatter fts_formatter;

/* One rule match produced by fts_next. Offsets index the batch arena. */
typedef struct fts_match {
	int32_t program;      /* index into the programs of fts_set_programs */
	uint16_t evttype;     /* PPME_* */
	uint16_t pad;
	uint64_t evtnum;      /* libsinsp event number */
	int64_t ts_ns;        /* event timestamp, ns since the epoch */
	uint32_t output_off, output_len;  /* formatter text */
	uint32_t json_off, json_len;      /* formatter JSON field map */
} fts_match;

/* Result of fts_next. Every pointer is owned by the inspector and stays
 * valid until the next fts_next, fts_set_*, fts_close or fts_inspector_free
 * on the same inspector. */
typedef struct fts_batch {
	uint64_t events;          /* events read in this batch */
	int32_t eof;              /* capture file ended */
	int32_t timeout;          /* no event ready: libscap returned SCAP_TIMEOUT */
	int32_t drained;          /* udig only, with timeout: head == tail when the
	                           * batch ended, so every event published before
	                           * has been delivered */
	int32_t pad;
	const fts_match *matches;
	uint32_t n_matches;
	uint32_t n_printed;
	const uint32_t *printed;  /* n_printed pairs (offset, length) */
	const char *arena;        /* bytes referenced by the offsets */
	uint64_t arena_len;
} fts_batch;

/* Capture statistics (scap_stats). */
typedef struct fts_stats {
	uint64_t n_evts, n_drops, n_drops_buffer, n_drops_scratch_map, n_drops_pf,
		n_drops_bug, n_preemptions, n_suppressed, n_tids_suppressed;
} fts_stats;

/* Versions read from the installed headers and library. The strings are
 * static: never freed, valid for the life of the process. */
typedef struct fts_versions {
	const char *libs_version;     /* DRIVER_VERSION of driver_config.h */
	const char *library_path;     /* resolved path of the loaded libsinsp.so, "" if unknown */
	const char *plugin_api_version;
	uint32_t api_major, api_minor, api_patch;        /* PPM_API_CURRENT_VERSION_* */
	uint32_t schema_major, schema_minor, schema_patch; /* PPM_SCHEMA_CURRENT_VERSION_* */
	uint32_t min_api_major, min_api_minor, min_api_patch;       /* SCAP_MINIMUM_DRIVER_API_VERSION */
	uint32_t min_schema_major, min_schema_minor, min_schema_patch; /* SCAP_MINIMUM_DRIVER_SCHEMA_VERSION */
	uint32_t event_types;         /* PPM_EVENT_MAX */
} fts_versions;

/* Allocates a non-opened inspector. Returns NULL on failure and writes a
 * NUL-terminated message into err (caller buffer of errlen bytes).
 * Caller frees with fts_inspector_free. */
fts_inspector *fts_inspector_new(char *err, size_t errlen);

/* The container every traced thread belongs to, for workloads whose
 * container libsinsp cannot recognise from cgroups (ECS Fargate). All
 * strings are NUL-terminated and borrowed for the call only; NULL or ""
 * leaves a field empty. */
typedef struct fts_container {
	const char *id;
	const char *name;
	const char *image;
	const char *image_id;
	const char *image_repository;
	const char *image_tag;
	const char *image_digest;
} fts_container;

/* Like fts_inspector_new, with libsinsp's static container engine set to c
 * (container.id, .name, .image, .image.repository, .image.tag, .image.digest
 * and .image.id resolve for every thread). c is borrowed for the
 * call. Caller frees with fts_inspector_free. */
fts_inspector *fts_inspector_new_static(const fts_container *c, char *err, size_t errlen);

/* Closes any capture, frees the printer and programs (not the filters and
 * formatters: the caller must have freed those first) and the inspector.
 * NULL is ignored. */
void fts_inspector_free(fts_inspector *in);

/* Last error message of in; owned by in, valid until the next call on in. */
const char *fts_last_error(const fts_inspector *in);

/* Opens a .scap capture file. path borrowed. */
int fts_open_file(fts_inspector *in, const char *path);

/* Opens the live udig ring. ring_id "" or NULL = libscap's global names
 * udig_buf/udig_descs; otherwise the process-wide shm_open/shm_unlink
 * interposition (below) maps them to falco-trace.<ring_id>.udig_buf/_descs,
 * created mode 0600. ring_id must match [A-Za-z0-9_.-]{1,64}.
 * timeout_ms: libscap read timeout. Only one udig ring per process. */
int fts_open_udig(fts_inspector *in, const char *ring_id, uint32_t timeout_ms);

/* Closes the capture (udig: ends the capture so the producer stops
 * recording). The inspector can compile filters afterwards but cannot be
 * reopened. No-op when not open. */
int fts_close(fts_inspector *in);

/* Compiles a filter. On success *out is a new filter owned by the caller
 * (fts_filter_free). On failure the last error is libsinsp's exact text. */
int fts_filter_compile(fts_inspector *in, const char *expr, fts_filter **out);

/* Writes up to cap event types the filter can match into types and returns
 * how many there are in total (call with cap 0 to size the buffer). */
size_t fts_filter_evttypes(fts_filter *f, uint16_t *types, size_t cap);

/* Frees a filter. NULL is ignored. Must not be in use by programs/printer. */
void fts_filter_free(fts_filter *f);

/* Creates a formatter for format exactly as given (a leading '*' means
 * missing values print <NA>). *out is owned by the caller
 * (fts_formatter_free). On failure the last error is libsinsp's text. */
int fts_formatter_new(fts_inspector *in, const char *format, fts_formatter **out);

/* Frees a formatter. NULL is ignored. Must not be in use by programs. */
void fts_formatter_free(fts_formatter *fm);

/* 1 if name is exactly a field (with its argument, e.g. proc.aname[2]),
 * 0 if not, negative errno on error. No prefix match. */
int fts_field_exists(fts_inspector *in, const char *name);

/* Serializes every field class as JSON:
 * [{"name","desc","shortdesc","fields":[{"name","type","desc","tags":[..]}]}]
 * *out is malloc'd and NUL-terminated, caller frees with fts_free. */
int fts_fields_json(fts_inspector *in, char **out, size_t *out_len);

/* Name of event type t ("open"), static storage, "" when out of range. */
const char *fts_event_name(uint16_t t);

/* ppm_event_flags of event type t (EF_*), 0 when out of range. */
uint32_t fts_event_flags(uint16_t t);

/* 1 if libsinsp's simple consumer considers event type t
 * (sinsp::simple_consumer_consider_evtnum: not EF_DROP_SIMPLE_CONS and the
 * other skip flags), else 0. Falco 0.31.1 without -A skips the others. */
int fts_event_simple_consumer_consider(uint16_t t);

/* Installs the programs tried by fts_next. filters/formatters: nprogs
 * borrowed handles each, which must stay alive until replaced or until
 * fts_inspector_free. by_type: for event type t (< ntypes) the program
 * indices by_type_idx[by_type_off[t] .. by_type_off[t+1]) in order; so
 * by_type_off has ntypes+1 entries. Arrays are copied. match_all 0 stops
 * at the first match of an event. */
int fts_set_programs(fts_inspector *in, fts_filter *const *filters,
	fts_formatter *const *formatters, uint32_t nprogs,
	const uint32_t *by_type_off, const int32_t *by_type_idx, uint32_t ntypes,
	int match_all);

/* Event printer: every event passing filter (NULL = all) is rendered with
 * format ("" = sysdig's default line) as text, or as the JSON field map
 * when as_json. format copied; filter borrowed like in fts_set_programs.
 * enable 0 removes the printer. */
int fts_set_printer(fts_inspector *in, int enable, const char *format,
	fts_filter *filter, int as_json);

/* Reads up to max events, tries the programs and the printer on each.
 * Fills *out (see fts_batch for lifetimes). Returns 0, or negative errno
 * with the last error set (events processed before the error are lost).
 * For udig, libscap returns SCAP_TIMEOUT after every read of the ring, also
 * with data pending; fts_next keeps reading through those (up to 16 in a
 * row without an event), so timeout normally comes with drained, except
 * that a batch holding a match or a printed line is returned at its first
 * timeout (drained tells whether the ring was empty then). libscap's
 * back-off sleep before a read (500 us doubling to 30 ms while fewer than
 * 20000 bytes wait) is shortened during fts_next: see usleep below. Events
 * whose tid is the consumer's own pid are discarded by libsinsp. */
int fts_next(fts_inspector *in, uint32_t max, fts_batch *out);

/* Sets the capture snaplen (bytes of I/O buffers kept; libs default 80).
 * For udig it is written to the shared consumer settings the producer
 * reads. Requires an open capture. */
int fts_set_snaplen(fts_inspector *in, uint32_t snaplen);

/* Starts writing every event read by fts_next to a .scap file at path
 * (sinsp autodump; uncompressed). Requires an open capture. */
int fts_dump_start(fts_inspector *in, const char *path);

/* Stops the dump and closes the file. No-op when not dumping. */
int fts_dump_stop(fts_inspector *in);

/* Capture statistics; -EALREADY when no capture is open. */
int fts_stats_get(fts_inspector *in, fts_stats *out);

/* Fills *out; cannot fail. */
void fts_versions_get(fts_versions *out);

/* Frees memory returned by this API. */
void fts_free(void *p);

/*
 * shm interposition (contract B). The executable defines shm_open and
 * shm_unlink, so libscap.so's calls bind to these. When a ring id is set
 * (by fts_open_udig), exactly "udig_buf" and "udig_descs" (with or without
 * a leading '/') become "falco-trace.<id>.udig_buf" / ".udig_descs", with
 * mode 0600; libscap's fchmod(fd, 0666) on those two descriptors is turned
 * into 0600. Everything else passes to libc.
 * fts_shm_ring_name writes the rewritten name of base for ring_id into buf
 * (for the tests and the supervisor's cleanup); returns 0 or -EINVAL.
 */
int fts_shm_ring_name(const char *ring_id, const char *base, char *buf, size_t len);

/*
 * usleep interposition. The executable defines usleep, so libscap.so's
 * back-off call binds to it. A call made by libscap on a thread that is
 * inside fts_next of an inspector with an open udig ring returns as soon as
 * the ring holds unread data (head != tail, looked at every 1 ms), or at
 * once when the batch already holds a match or printed line, and never
 * later than requested. Every other call is libc's usleep.
 */

#ifdef __cplusplus
}
#endif

#endif

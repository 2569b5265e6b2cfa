// shim.cpp - libsinsp behind the extern "C" API of shim.h.
// Built only by bridge/sinsp (which #includes this file) with
// -std=c++17 -DHAS_CAPTURE: without HAS_CAPTURE the sinsp object layout does
// not match the library and its constructor corrupts memory.

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "shim.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <exception>
#include <memory>
#include <new>
#include <set>
#include <string>
#include <vector>

#include <json/json.h>

#include <sinsp.h>
#include <filter.h>
#include <eventformatter.h>
#include <filter_check_list.h>
#include <driver/driver_config.h>
#include <plugin_info.h>
#include <driver/ppm_ringbuffer.h>

// sysdig's default line format (sysdig -p default), used by the printer when
// no format is given.
static const char k_default_print_format[] =
	"*%evt.num %evt.outputtime %evt.cpu %proc.name (%thread.tid) %evt.dir %evt.type %evt.info";

// Consecutive SCAP_TIMEOUTs with data still in the udig ring after which
// fts_next returns anyway (timeout set, drained not): bounds one call even
// if the producer keeps the ring non-empty without libscap reading it.
static const int k_max_pending_timeouts = 16;

// How often libscap's udig back-off sleep (see usleep below) looks at the
// ring: the added alert latency is at most this, and an idle consumer wakes
// up 1000 times a second (measured, idle engine: 2.0% of one CPU, against
// 0.5-0.9% with libscap's plain 30 ms sleeps; 2 ms polls: 1.5%).
static const long k_ring_poll_ns = 1000000;

struct fts_filter {
	fts_inspector *owner;
	sinsp_filter *filter;
};

struct fts_formatter {
	fts_inspector *owner;
	sinsp_evt_formatter *formatter;
};

struct fts_inspector {
	sinsp *inspector = nullptr;
	bool opened = false;
	bool dumping = false;
	// Read-only view of the udig descriptors (head/tail) for the drained check.
	const volatile struct ppm_ring_buffer_info *ring_info = nullptr;
	std::string last_error;

	// Programs (borrowed handles) and the per-event-type index.
	std::vector<sinsp_filter *> prog_filters;
	std::vector<sinsp_evt_formatter *> prog_formatters;
	std::vector<uint32_t> by_type_off;
	std::vector<int32_t> by_type_idx;
	bool match_all = false;

	// Printer.
	bool print = false;
	bool print_json = false;
	sinsp_filter *print_filter = nullptr; // borrowed
	sinsp_evt_formatter *print_formatter = nullptr; // owned

	// Batch storage, reused between calls so steady state does not allocate.
	std::vector<fts_match> matches;
	std::vector<uint32_t> printed;
	std::string arena;
	std::string scratch;
};

static void copy_err(char *dst, size_t len, const char *msg)
{
	if(dst == nullptr || len == 0) {
		return;
	}
	strncpy(dst, msg, len - 1);
	dst[len - 1] = '\0';
}

// Sets last_error and returns rc; never throws (an allocation failure
// leaves the previous message).
static int fail(fts_inspector *in, int rc, const char *msg) noexcept
{
	try {
		in->last_error = msg;
	} catch(...) {
	}
	return rc;
}

// Runs fn, turning every exception into a negative errno and last_error.
template<typename F> static int guarded(fts_inspector *in, F fn) noexcept
{
	try {
		return fn();
	} catch(const std::bad_alloc &) {
		return fail(in, -ENOMEM, "out of memory");
	} catch(const std::exception &e) {
		return fail(in, -EIO, e.what());
	} catch(...) {
		return fail(in, -EIO, "unknown C++ exception");
	}
}

// ---------------------------------------------------------------------------
// shm interposition (contract B)

static pthread_mutex_t g_ring_mu = PTHREAD_MUTEX_INITIALIZER;
static char g_ring_id[65]; // "" = no rewriting
static int g_ring_fds[2] = {-1, -1}; // descriptors whose fchmod becomes 0600

static bool valid_ring_id(const char *id)
{
	size_t n = strlen(id);
	if(n == 0 || n > 64) {
		return false;
	}
	for(size_t i = 0; i < n; i++) {
		char c = id[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			c == '_' || c == '.' || c == '-';
		if(!ok) {
			return false;
		}
	}
	return true;
}

extern "C" int fts_shm_ring_name(const char *ring_id, const char *base, char *buf, size_t len)
{
	if(ring_id == nullptr || base == nullptr || buf == nullptr || !valid_ring_id(ring_id)) {
		return -EINVAL;
	}
	int n = snprintf(buf, len, "falco-trace.%s.%s", ring_id, base);
	if(n < 0 || (size_t)n >= len) {
		return -EINVAL;
	}
	return 0;
}

// Returns true and fills out when name is one of libscap's udig names and a
// ring id is set. Caller holds g_ring_mu.
static bool rewrite_locked(const char *name, char *out, size_t len)
{
	if(g_ring_id[0] == '\0' || name == nullptr) {
		return false;
	}
	const char *base = name[0] == '/' ? name + 1 : name;
	if(strcmp(base, UDIG_RING_SM_FNAME) != 0 && strcmp(base, UDIG_RING_DESCS_SM_FNAME) != 0) {
		return false;
	}
	return fts_shm_ring_name(g_ring_id, base, out, len) == 0;
}

typedef int (*shm_open_fn)(const char *, int, mode_t);
typedef int (*shm_unlink_fn)(const char *);
typedef int (*fchmod_fn)(int, mode_t);

static shm_open_fn real_shm_open()
{
	static shm_open_fn fn = (shm_open_fn)dlsym(RTLD_NEXT, "shm_open");
	return fn;
}

static shm_unlink_fn real_shm_unlink()
{
	static shm_unlink_fn fn = (shm_unlink_fn)dlsym(RTLD_NEXT, "shm_unlink");
	return fn;
}

static fchmod_fn real_fchmod()
{
	static fchmod_fn fn = (fchmod_fn)dlsym(RTLD_NEXT, "fchmod");
	return fn;
}

extern "C" int shm_open(const char *name, int oflag, mode_t mode)
{
	shm_open_fn next = real_shm_open();
	if(next == nullptr) {
		errno = ENOSYS;
		return -1;
	}
	char renamed[128];
	pthread_mutex_lock(&g_ring_mu);
	bool rewritten = rewrite_locked(name, renamed, sizeof(renamed));
	if(!rewritten) {
		pthread_mutex_unlock(&g_ring_mu);
		return next(name, oflag, mode);
	}
	int fd = next(renamed, oflag, 0600);
	if(fd >= 0 && (oflag & O_CREAT)) {
		// libscap fchmods new objects to 0666 right after creating them.
		if(g_ring_fds[0] < 0) {
			g_ring_fds[0] = fd;
		} else {
			g_ring_fds[1] = fd;
		}
	}
	pthread_mutex_unlock(&g_ring_mu);
	return fd;
}

extern "C" int shm_unlink(const char *name)
{
	shm_unlink_fn next = real_shm_unlink();
	if(next == nullptr) {
		errno = ENOSYS;
		return -1;
	}
	char renamed[128];
	pthread_mutex_lock(&g_ring_mu);
	bool rewritten = rewrite_locked(name, renamed, sizeof(renamed));
	pthread_mutex_unlock(&g_ring_mu);
	return next(rewritten ? renamed : name);
}

extern "C" int fchmod(int fd, mode_t mode)
{
	fchmod_fn next = real_fchmod();
	if(next == nullptr) {
		errno = ENOSYS;
		return -1;
	}
	pthread_mutex_lock(&g_ring_mu);
	for(int i = 0; i < 2; i++) {
		if(fd >= 0 && g_ring_fds[i] == fd) {
			g_ring_fds[i] = -1;
			mode = 0600;
		}
	}
	pthread_mutex_unlock(&g_ring_mu);
	return next(fd, mode);
}

// ---------------------------------------------------------------------------
// usleep interposition: libscap's udig back-off
//
// While fewer than 20000 bytes wait in the ring, libscap's refill_read_buffers
// calls usleep with a back-off of 500 us doubling to 30 ms before it reads
// (tracer-facts 1.6). At a low event rate that puts up to 2 x 30 ms between
// an event and its alert. The executable's usleep wins over libc's for
// libscap.so's call, so the wait is shortened here, and only here: on the
// thread inside fts_next of an inspector with a mapped udig ring, for calls
// made by libscap itself. Everything else sleeps in libc.

// The inspector whose fts_next runs on this thread, nullptr outside.
static thread_local fts_inspector *t_reading = nullptr;

// Address range of libscap.so's loaded segments, found at fts_open_udig;
// both 0 when not found (then the thread-local alone decides).
static uintptr_t g_scap_lo, g_scap_hi;
static pthread_once_t g_scap_range_once = PTHREAD_ONCE_INIT;

static int find_scap_range(struct dl_phdr_info *info, size_t, void *)
{
	if(info->dlpi_name == nullptr || strstr(info->dlpi_name, "/libscap.so") == nullptr) {
		return 0;
	}
	uintptr_t lo = UINTPTR_MAX, hi = 0;
	for(int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if(ph->p_type != PT_LOAD) {
			continue;
		}
		uintptr_t start = info->dlpi_addr + ph->p_vaddr;
		if(start < lo) {
			lo = start;
		}
		if(start + ph->p_memsz > hi) {
			hi = start + ph->p_memsz;
		}
	}
	if(hi > lo) {
		g_scap_lo = lo;
		g_scap_hi = hi;
	}
	return 1;
}

static bool called_from_scap(const void *ret)
{
	if(g_scap_hi == 0) {
		return true;
	}
	uintptr_t a = (uintptr_t)ret;
	return a >= g_scap_lo && a < g_scap_hi;
}

typedef int (*usleep_fn)(useconds_t);

static usleep_fn real_usleep()
{
	static usleep_fn fn = (usleep_fn)dlsym(RTLD_NEXT, "usleep");
	return fn;
}

static bool ring_has_data(const volatile struct ppm_ring_buffer_info *ri)
{
	__sync_synchronize();
	return ri->head != ri->tail;
}

static int64_t monotonic_ns()
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

// Sleeps at most usec, returning as soon as the producer published data
// (libscap advanced tail before calling, so head != tail is unread data).
// With a match or printed line already in the batch it does not sleep at
// all: libscap then returns SCAP_TIMEOUT at once and fts_next hands the
// batch to Go.
static int wait_for_ring(fts_inspector *in, useconds_t usec)
{
	if(!in->matches.empty() || !in->printed.empty()) {
		return 0;
	}
	int64_t deadline = monotonic_ns() + (int64_t)usec * 1000;
	while(!ring_has_data(in->ring_info)) {
		int64_t left = deadline - monotonic_ns();
		if(left <= 0) {
			break;
		}
		struct timespec d = {0, left < k_ring_poll_ns ? (long)left : k_ring_poll_ns};
		// EINTR (Go's preemption signals) just means an earlier look.
		nanosleep(&d, nullptr);
	}
	return 0;
}

extern "C" int usleep(useconds_t usec)
{
	fts_inspector *in = t_reading;
	if(in != nullptr && in->ring_info != nullptr && called_from_scap(__builtin_return_address(0))) {
		return wait_for_ring(in, usec);
	}
	usleep_fn next = real_usleep();
	if(next == nullptr) {
		errno = ENOSYS;
		return -1;
	}
	return next(usec);
}

// ---------------------------------------------------------------------------
// inspector

extern "C" fts_inspector *fts_inspector_new(char *err, size_t errlen)
{
	fts_inspector *in = nullptr;
	try {
		in = new fts_inspector();
		in->inspector = new sinsp();
		return in;
	} catch(const std::exception &e) {
		copy_err(err, errlen, e.what());
	} catch(...) {
		copy_err(err, errlen, "unknown C++ exception");
	}
	delete in;
	return nullptr;
}

static std::string str_or_empty(const char *s)
{
	return s == nullptr ? std::string() : std::string(s);
}

extern "C" fts_inspector *fts_inspector_new_static(const fts_container *c, char *err, size_t errlen)
{
	fts_inspector *in = nullptr;
	try {
		in = new fts_inspector();
		in->inspector = new sinsp(true, str_or_empty(c->id), str_or_empty(c->name), str_or_empty(c->image));
		// This libsinsp's static engine fills only id, name and image: put
		// the complete entry (with the image split) in the container table
		// now, where the engine's lookups will find it.
		in->inspector->m_container_manager.create_engines();
		auto info = std::make_shared<sinsp_container_info>();
		info->m_id = str_or_empty(c->id);
		info->m_type = CT_STATIC;
		info->m_name = str_or_empty(c->name);
		info->m_image = str_or_empty(c->image);
		info->m_imageid = str_or_empty(c->image_id);
		info->m_imagerepo = str_or_empty(c->image_repository);
		info->m_imagetag = str_or_empty(c->image_tag);
		info->m_imagedigest = str_or_empty(c->image_digest);
		in->inspector->m_container_manager.replace_container(info);
		return in;
	} catch(const std::exception &e) {
		copy_err(err, errlen, e.what());
	} catch(...) {
		copy_err(err, errlen, "unknown C++ exception");
	}
	if(in != nullptr) {
		delete in->inspector;
	}
	delete in;
	return nullptr;
}

extern "C" void fts_inspector_free(fts_inspector *in)
{
	if(in == nullptr) {
		return;
	}
	try {
		fts_close(in);
		delete in->print_formatter;
		in->print_formatter = nullptr;
		delete in->inspector;
	} catch(...) {
		// Nothing to report to: the handle is gone either way.
	}
	delete in;
}

extern "C" const char *fts_last_error(const fts_inspector *in)
{
	return in == nullptr ? "nil inspector" : in->last_error.c_str();
}

extern "C" int fts_open_file(fts_inspector *in, const char *path)
{
	if(in == nullptr || path == nullptr) {
		return -EINVAL;
	}
	if(in->opened) {
		return fail(in, -EALREADY, "inspector already open");
	}
	return guarded(in, [&]() {
		in->inspector->open(std::string(path));
		in->opened = true;
		return 0;
	});
}

// Maps udig_descs read-only so fts_next can tell a drained ring (head ==
// tail) from libscap's start-up backoff, which also reports SCAP_TIMEOUT.
// Failure only disables the drained flag.
static void map_ring_info(fts_inspector *in)
{
	int fd = shm_open(UDIG_RING_DESCS_SM_FNAME, O_RDONLY, 0);
	if(fd < 0) {
		return;
	}
	void *p = mmap(nullptr, sizeof(struct ppm_ring_buffer_info), PROT_READ, MAP_SHARED, fd, 0);
	::close(fd);
	if(p != MAP_FAILED) {
		in->ring_info = (const volatile struct ppm_ring_buffer_info *)p;
	}
}

static void unmap_ring_info(fts_inspector *in)
{
	if(in->ring_info != nullptr) {
		munmap((void *)in->ring_info, sizeof(struct ppm_ring_buffer_info));
		in->ring_info = nullptr;
	}
}

extern "C" int fts_open_udig(fts_inspector *in, const char *ring_id, uint32_t timeout_ms)
{
	if(in == nullptr) {
		return -EINVAL;
	}
	if(in->opened) {
		return fail(in, -EALREADY, "inspector already open");
	}
	const char *id = ring_id == nullptr ? "" : ring_id;
	if(id[0] != '\0' && !valid_ring_id(id)) {
		return fail(in, -EINVAL, "invalid ring id: want 1-64 characters of [A-Za-z0-9_.-]");
	}
	pthread_mutex_lock(&g_ring_mu);
	strcpy(g_ring_id, id);
	g_ring_fds[0] = g_ring_fds[1] = -1;
	pthread_mutex_unlock(&g_ring_mu);
	int rc = guarded(in, [&]() {
		in->inspector->open_udig(timeout_ms);
		in->opened = true;
		return 0;
	});
	if(rc == 0) {
		map_ring_info(in);
		pthread_once(&g_scap_range_once, []() { dl_iterate_phdr(find_scap_range, nullptr); });
	}
	pthread_mutex_lock(&g_ring_mu);
	g_ring_fds[0] = g_ring_fds[1] = -1;
	pthread_mutex_unlock(&g_ring_mu);
	// The id stays set after success: libscap may unlink the objects later
	// (error paths), and that must hit ours, not the global names.
	return rc;
}

extern "C" int fts_close(fts_inspector *in)
{
	if(in == nullptr) {
		return -EINVAL;
	}
	if(!in->opened) {
		return 0;
	}
	if(in->dumping) {
		fts_dump_stop(in);
	}
	unmap_ring_info(in);
	return guarded(in, [&]() {
		in->inspector->close();
		in->opened = false;
		return 0;
	});
}

// ---------------------------------------------------------------------------
// filters, formatters, fields

extern "C" int fts_filter_compile(fts_inspector *in, const char *expr, fts_filter **out)
{
	if(in == nullptr || expr == nullptr || out == nullptr) {
		return -EINVAL;
	}
	*out = nullptr;
	return guarded(in, [&]() {
		sinsp_filter_compiler compiler(in->inspector, std::string(expr));
		sinsp_filter *f = compiler.compile();
		try {
			*out = new fts_filter{in, f};
		} catch(...) {
			delete f;
			throw;
		}
		return 0;
	});
}

extern "C" size_t fts_filter_evttypes(fts_filter *f, uint16_t *types, size_t cap)
{
	if(f == nullptr) {
		return 0;
	}
	try {
		std::set<uint16_t> set = f->filter->evttypes();
		size_t i = 0;
		for(uint16_t t : set) {
			if(i < cap) {
				types[i] = t;
			}
			i++;
		}
		return set.size();
	} catch(...) {
		return 0;
	}
}

extern "C" void fts_filter_free(fts_filter *f)
{
	if(f == nullptr) {
		return;
	}
	try {
		delete f->filter;
	} catch(...) {
	}
	delete f;
}

extern "C" int fts_formatter_new(fts_inspector *in, const char *format, fts_formatter **out)
{
	if(in == nullptr || format == nullptr || out == nullptr) {
		return -EINVAL;
	}
	*out = nullptr;
	return guarded(in, [&]() {
		sinsp_evt_formatter *fm = new sinsp_evt_formatter(in->inspector, std::string(format));
		try {
			*out = new fts_formatter{in, fm};
		} catch(...) {
			delete fm;
			throw;
		}
		return 0;
	});
}

extern "C" void fts_formatter_free(fts_formatter *fm)
{
	if(fm == nullptr) {
		return;
	}
	try {
		delete fm->formatter;
	} catch(...) {
	}
	delete fm;
}

extern "C" int fts_field_exists(fts_inspector *in, const char *name)
{
	if(in == nullptr || name == nullptr) {
		return -EINVAL;
	}
	return guarded(in, [&]() {
		// The factory returns a fresh, unparsed check of the class that
		// claims the name (or NULL). That lookup, like the compiler, accepts
		// any name that starts with a field, so the parsed length must cover
		// the whole name: proc.namex is not proc.name.
		sinsp_filter_factory factory(in->inspector);
		std::unique_ptr<gen_event_filter_check> chk(factory.new_filtercheck(name));
		if(!chk) {
			return 0;
		}
		// needed_for_filtering: filter-only fields (fd.ip) exist too.
		int32_t n = chk->parse_field_name(name, true, true);
		if(n < 0 || (size_t)n != strlen(name)) {
			return 0;
		}
		return 1;
	});
}

extern "C" int fts_fields_json(fts_inspector *in, char **out, size_t *out_len)
{
	if(in == nullptr || out == nullptr || out_len == nullptr) {
		return -EINVAL;
	}
	*out = nullptr;
	*out_len = 0;
	return guarded(in, [&]() {
		sinsp_filter_factory factory(in->inspector);
		Json::Value classes(Json::arrayValue);
		for(auto &cls : factory.get_fields()) {
			Json::Value c(Json::objectValue);
			c["name"] = cls.name;
			c["desc"] = cls.desc;
			c["shortdesc"] = cls.shortdesc;
			Json::Value fields(Json::arrayValue);
			for(auto &fld : cls.fields) {
				Json::Value f(Json::objectValue);
				f["name"] = fld.name;
				f["type"] = fld.data_type;
				f["desc"] = fld.desc;
				Json::Value tags(Json::arrayValue);
				for(auto &t : fld.tags) {
					tags.append(t);
				}
				f["tags"] = tags;
				fields.append(f);
			}
			c["fields"] = fields;
			classes.append(c);
		}
		Json::FastWriter writer;
		std::string s = writer.write(classes);
		char *buf = (char *)malloc(s.size() + 1);
		if(buf == nullptr) {
			throw std::bad_alloc();
		}
		memcpy(buf, s.data(), s.size());
		buf[s.size()] = '\0';
		*out = buf;
		*out_len = s.size();
		return 0;
	});
}

extern "C" const char *fts_event_name(uint16_t t)
{
	if(t >= PPM_EVENT_MAX) {
		return "";
	}
	const struct ppm_event_info *table = scap_get_event_info_table();
	return table == nullptr ? "" : table[t].name;
}

extern "C" uint32_t fts_event_flags(uint16_t t)
{
	if(t >= PPM_EVENT_MAX) {
		return 0;
	}
	const struct ppm_event_info *table = scap_get_event_info_table();
	return table == nullptr ? 0 : (uint32_t)table[t].flags;
}

extern "C" int fts_event_simple_consumer_consider(uint16_t t)
{
	if(t >= PPM_EVENT_MAX) {
		return 0;
	}
	return sinsp::simple_consumer_consider_evtnum(t) ? 1 : 0;
}

// ---------------------------------------------------------------------------
// programs, printer, event loop

extern "C" int fts_set_programs(fts_inspector *in, fts_filter *const *filters,
	fts_formatter *const *formatters, uint32_t nprogs,
	const uint32_t *by_type_off, const int32_t *by_type_idx, uint32_t ntypes,
	int match_all)
{
	if(in == nullptr || (nprogs > 0 && (filters == nullptr || formatters == nullptr)) ||
		(ntypes > 0 && by_type_off == nullptr)) {
		return -EINVAL;
	}
	return guarded(in, [&]() {
		for(uint32_t p = 0; p < nprogs; p++) {
			if(filters[p] == nullptr || formatters[p] == nullptr ||
				filters[p]->owner != in || formatters[p]->owner != in) {
				return fail(in, -EINVAL, ("program " + std::to_string(p) +
					": nil filter or formatter, or one of another inspector").c_str());
			}
		}
		for(uint32_t t = 0; t < ntypes; t++) {
			if(by_type_off[t] > by_type_off[t + 1]) {
				return fail(in, -EINVAL, "by_type offsets are not ascending");
			}
		}
		uint32_t nidx = ntypes > 0 ? by_type_off[ntypes] : 0;
		for(uint32_t i = 0; i < nidx; i++) {
			if(by_type_idx[i] < 0 || (uint32_t)by_type_idx[i] >= nprogs) {
				return fail(in, -EINVAL, ("program index " + std::to_string(by_type_idx[i]) +
					" out of range").c_str());
			}
		}
		std::vector<sinsp_filter *> fl(nprogs);
		std::vector<sinsp_evt_formatter *> fm(nprogs);
		for(uint32_t p = 0; p < nprogs; p++) {
			fl[p] = filters[p]->filter;
			fm[p] = formatters[p]->formatter;
		}
		std::vector<uint32_t> off(by_type_off, by_type_off + (ntypes > 0 ? ntypes + 1 : 0));
		std::vector<int32_t> idx(by_type_idx, by_type_idx + nidx);
		in->prog_filters.swap(fl);
		in->prog_formatters.swap(fm);
		in->by_type_off.swap(off);
		in->by_type_idx.swap(idx);
		in->match_all = match_all != 0;
		return 0;
	});
}

extern "C" int fts_set_printer(fts_inspector *in, int enable, const char *format,
	fts_filter *filter, int as_json)
{
	if(in == nullptr) {
		return -EINVAL;
	}
	if(filter != nullptr && filter->owner != in) {
		return fail(in, -EINVAL, "printer filter belongs to another inspector");
	}
	return guarded(in, [&]() {
		if(!enable) {
			in->print = false;
			in->print_filter = nullptr;
			delete in->print_formatter;
			in->print_formatter = nullptr;
			return 0;
		}
		std::string fmt = (format == nullptr || format[0] == '\0') ? k_default_print_format : format;
		sinsp_evt_formatter *fm = new sinsp_evt_formatter(in->inspector, fmt);
		delete in->print_formatter;
		in->print_formatter = fm;
		in->print_filter = filter == nullptr ? nullptr : filter->filter;
		in->print_json = as_json != 0;
		in->print = true;
		return 0;
	});
}

static void append_arena(fts_inspector *in, const std::string &s, uint32_t *off, uint32_t *len)
{
	*off = (uint32_t)in->arena.size();
	*len = (uint32_t)s.size();
	in->arena.append(s);
}

static void process_event(fts_inspector *in, sinsp_evt *evt)
{
	uint16_t type = evt->get_type();
	if(type + 1u < in->by_type_off.size()) {
		uint32_t begin = in->by_type_off[type];
		uint32_t end = in->by_type_off[type + 1];
		for(uint32_t i = begin; i < end; i++) {
			int32_t p = in->by_type_idx[i];
			if(!in->prog_filters[p]->run(evt)) {
				continue;
			}
			fts_match m{};
			m.program = p;
			m.evttype = type;
			m.evtnum = evt->get_num();
			m.ts_ns = (int64_t)evt->get_ts();
			// The return value only says whether all values were present;
			// with a leading '*' the text is complete either way.
			in->scratch.clear();
			in->prog_formatters[p]->tostring(evt, &in->scratch);
			append_arena(in, in->scratch, &m.output_off, &m.output_len);
			in->scratch.clear();
			in->prog_formatters[p]->tostring_withformat(evt, in->scratch, gen_event_formatter::OF_JSON);
			append_arena(in, in->scratch, &m.json_off, &m.json_len);
			in->matches.push_back(m);
			if(!in->match_all) {
				break;
			}
		}
	}
	if(in->print && (in->print_filter == nullptr || in->print_filter->run(evt))) {
		in->scratch.clear();
		bool show;
		if(in->print_json) {
			show = in->print_formatter->tostring_withformat(evt, in->scratch, gen_event_formatter::OF_JSON);
		} else {
			show = in->print_formatter->tostring(evt, &in->scratch);
		}
		// Like sysdig: without a leading '*' a line with missing values is not shown.
		if(show) {
			uint32_t off, len;
			append_arena(in, in->scratch, &off, &len);
			in->printed.push_back(off);
			in->printed.push_back(len);
		}
	}
}

extern "C" int fts_next(fts_inspector *in, uint32_t max, fts_batch *out)
{
	if(in == nullptr || out == nullptr) {
		return -EINVAL;
	}
	memset(out, 0, sizeof(*out));
	if(!in->opened) {
		return fail(in, -EALREADY, "inspector is not open");
	}
	in->matches.clear();
	in->printed.clear();
	in->arena.clear();
	int rc = guarded(in, [&]() {
		uint64_t n = 0;
		int pending_timeouts = 0;
		t_reading = in;
		while(n < max) {
			sinsp_evt *evt = nullptr;
			int32_t rc = in->inspector->next(&evt);
			if(rc == SCAP_TIMEOUT) {
				bool drained = false;
				if(in->ring_info != nullptr) {
					drained = !ring_has_data(in->ring_info);
				}
				// libscap also times out right after a read with data
				// pending (every refill returns SCAP_TIMEOUT): keep going so
				// that a udig timeout means an empty ring, unless a match or
				// printed line waits, which goes to Go now (alert latency).
				bool pending_output = !in->matches.empty() || !in->printed.empty();
				if(in->ring_info != nullptr && !drained && !pending_output &&
					++pending_timeouts < k_max_pending_timeouts) {
					continue;
				}
				out->timeout = 1;
				out->drained = drained;
				break;
			}
			if(rc == SCAP_EOF) {
				out->eof = 1;
				break;
			}
			if(rc != SCAP_SUCCESS) {
				continue;
			}
			n++;
			pending_timeouts = 0;
			process_event(in, evt);
		}
		out->events = n;
		out->matches = in->matches.data();
		out->n_matches = (uint32_t)in->matches.size();
		out->printed = in->printed.data();
		out->n_printed = (uint32_t)(in->printed.size() / 2);
		out->arena = in->arena.data();
		out->arena_len = in->arena.size();
		return 0;
	});
	// Also after an exception left the loop.
	t_reading = nullptr;
	return rc;
}

extern "C" int fts_set_snaplen(fts_inspector *in, uint32_t snaplen)
{
	if(in == nullptr) {
		return -EINVAL;
	}
	if(!in->opened) {
		return fail(in, -EALREADY, "inspector is not open");
	}
	return guarded(in, [&]() {
		in->inspector->set_snaplen(snaplen);
		return 0;
	});
}

extern "C" int fts_dump_start(fts_inspector *in, const char *path)
{
	if(in == nullptr || path == nullptr) {
		return -EINVAL;
	}
	if(!in->opened) {
		return fail(in, -EALREADY, "inspector is not open");
	}
	return guarded(in, [&]() {
		in->inspector->autodump_start(std::string(path), false);
		in->dumping = true;
		return 0;
	});
}

extern "C" int fts_dump_stop(fts_inspector *in)
{
	if(in == nullptr) {
		return -EINVAL;
	}
	if(!in->dumping) {
		return 0;
	}
	return guarded(in, [&]() {
		in->dumping = false;
		in->inspector->autodump_stop();
		return 0;
	});
}

extern "C" int fts_stats_get(fts_inspector *in, fts_stats *out)
{
	if(in == nullptr || out == nullptr) {
		return -EINVAL;
	}
	memset(out, 0, sizeof(*out));
	if(!in->opened) {
		return fail(in, -EALREADY, "inspector is not open");
	}
	return guarded(in, [&]() {
		scap_stats st{};
		in->inspector->get_capture_stats(&st);
		out->n_evts = st.n_evts;
		out->n_drops = st.n_drops;
		out->n_drops_buffer = st.n_drops_buffer;
		out->n_drops_scratch_map = st.n_drops_scratch_map;
		out->n_drops_pf = st.n_drops_pf;
		out->n_drops_bug = st.n_drops_bug;
		out->n_preemptions = st.n_preemptions;
		out->n_suppressed = st.n_suppressed;
		out->n_tids_suppressed = st.n_tids_suppressed;
		return 0;
	});
}

extern "C" void fts_versions_get(fts_versions *out)
{
	static char library_path[PATH_MAX];
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, []() {
		Dl_info info;
		// g_filterlist is defined in libsinsp.so, so dladdr names that file.
		if(dladdr((void *)&g_filterlist, &info) != 0 && info.dli_fname != nullptr) {
			if(realpath(info.dli_fname, library_path) == nullptr) {
				copy_err(library_path, sizeof(library_path), info.dli_fname);
			}
		}
	});
	memset(out, 0, sizeof(*out));
	out->libs_version = DRIVER_VERSION;
	out->library_path = library_path;
	out->plugin_api_version = PLUGIN_API_VERSION_STR;
	out->api_major = PPM_API_CURRENT_VERSION_MAJOR;
	out->api_minor = PPM_API_CURRENT_VERSION_MINOR;
	out->api_patch = PPM_API_CURRENT_VERSION_PATCH;
	out->schema_major = PPM_SCHEMA_CURRENT_VERSION_MAJOR;
	out->schema_minor = PPM_SCHEMA_CURRENT_VERSION_MINOR;
	out->schema_patch = PPM_SCHEMA_CURRENT_VERSION_PATCH;
	out->min_api_major = PPM_API_VERSION_MAJOR(SCAP_MINIMUM_DRIVER_API_VERSION);
	out->min_api_minor = PPM_API_VERSION_MINOR(SCAP_MINIMUM_DRIVER_API_VERSION);
	out->min_api_patch = PPM_API_VERSION_PATCH(SCAP_MINIMUM_DRIVER_API_VERSION);
	out->min_schema_major = PPM_API_VERSION_MAJOR(SCAP_MINIMUM_DRIVER_SCHEMA_VERSION);
	out->min_schema_minor = PPM_API_VERSION_MINOR(SCAP_MINIMUM_DRIVER_SCHEMA_VERSION);
	out->min_schema_patch = PPM_API_VERSION_PATCH(SCAP_MINIMUM_DRIVER_SCHEMA_VERSION);
	out->event_types = PPM_EVENT_MAX;
}

extern "C" void fts_free(void *p)
{
	free(p);
}

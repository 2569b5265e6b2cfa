/* udig_capture.h: first glue header included by the driver sources under -DUDIG.
 * It supplies the kernel-ish basic types and macros the fillers expect (tracer-facts.md §2.2). */
#ifndef FT_UDIG_CAPTURE_H
#define FT_UDIG_CAPTURE_H

#include <stdint.h>
#include <stddef.h>
#include <errno.h>
#include <sys/user.h>
#include <sys/resource.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

#define __user
#define SYSCALL_TABLE_ID0 0
#define current NULL
#ifndef UNIX_PATH_MAX
#define UNIX_PATH_MAX 108
#endif
#ifndef F_CANCELLK
#define F_CANCELLK 1029
#endif
#ifndef min
#define min(a, b) ((a) < (b) ? (a) : (b))
#endif
#ifndef max
#define max(a, b) ((a) > (b) ? (a) : (b))
#endif
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define ASSERT(x)

#endif

/*
 * bpf_load: calls bpf(BPF_PROG_LOAD) with an empty attribute block. The
 * kernel rejects it (EINVAL, or EPERM without privileges): no program is
 * loaded.
 */
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof attr);
	if (syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof attr) >= 0) {
		fprintf(stderr, "bpf(BPF_PROG_LOAD) with no program unexpectedly succeeded\n");
		return 1;
	}
	return 0;
}

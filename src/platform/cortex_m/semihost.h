/* Minimal Arm semihosting helpers (QEMU: -semihosting-config enable=on,target=native).
 * Normal I/O should just use newlib stdio (printf, fopen...): librdimon turns it into
 * semihosting calls. These are for places where stdio is not usable (fault handlers,
 * before/after the C library runs) or as small conveniences. */
#ifndef LLMCU_SEMIHOST_H
#define LLMCU_SEMIHOST_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Raw semihosting call: r0 = op, r1 = arg, returns r0. */
uint32_t llmcu_semihost_call(uint32_t op, const void *arg);

/* SYS_WRITE0: write a NUL-terminated string to the debug console (QEMU's chardev, the same
 * stream as stdout). Unbuffered; does not touch newlib. */
void llmcu_semihost_write0(const char *s);

/* SYS_EXIT_EXTENDED (ADP_Stopped_ApplicationExit, code): QEMU exits with status code & 0xff.
 * Does not flush stdio or run atexit handlers; use exit() for that. */
void llmcu_semihost_exit(int code) __attribute__((noreturn));

/* SYS_GET_CMDLINE: copy the command line (QEMU: "<kernel path> <-append text>") into buf.
 * Returns its length, or -1 if it does not fit / is unavailable. */
int llmcu_semihost_cmdline(char *buf, size_t cap);

/* Read a whole host file (path relative to QEMU's working directory) through newlib stdio.
 * llmcu_mcu_read_file: malloc'ed buffer (caller frees), size in *size; NULL on error.
 * llmcu_mcu_read_file_into: into buf (capacity cap); returns the size, -1 on error or if the
 * file is larger than cap. */
void *llmcu_mcu_read_file(const char *path, size_t *size);
long llmcu_mcu_read_file_into(const char *path, void *buf, size_t cap);

#ifdef __cplusplus
}
#endif

#endif

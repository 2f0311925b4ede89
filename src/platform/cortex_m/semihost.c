/* Arm semihosting helpers. Operation numbers and argument blocks: Arm "Semihosting for
 * AArch32 and AArch64" v2. On M-profile the trap is `bkpt 0xab`. */
#include "semihost.h"

#include <stdio.h>
#include <stdlib.h>

enum {
  SYS_WRITE0 = 0x04,
  SYS_GET_CMDLINE = 0x15,
  SYS_EXIT = 0x18,
  SYS_EXIT_EXTENDED = 0x20,
  ADP_Stopped_ApplicationExit = 0x20026,
};

uint32_t llmcu_semihost_call(uint32_t op, const void *arg) {
  register uint32_t r0 __asm__("r0") = op;
  register const void *r1 __asm__("r1") = arg;
  /* "memory": the host reads and writes guest memory through r1. */
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

void llmcu_semihost_write0(const char *s) { llmcu_semihost_call(SYS_WRITE0, s); }

void llmcu_semihost_exit(int code) {
  /* QEMU supports SYS_EXIT_EXTENDED for AArch32 guests and uses the subcode as its exit status.
   * Plain SYS_EXIT on AArch32 can only say "success" (0) or "failure" (1): the fallback. */
  const uint32_t block[2] = {ADP_Stopped_ApplicationExit, (uint32_t)code};
  llmcu_semihost_call(SYS_EXIT_EXTENDED, block);
  llmcu_semihost_call(SYS_EXIT, (const void *)(uintptr_t)(code == 0 ? ADP_Stopped_ApplicationExit
                                                                      : 0x20023 /* RunTimeError */));
  for (;;) {
  }
}

int llmcu_semihost_cmdline(char *buf, size_t cap) {
  /* In: {buffer, capacity}; out: {buffer, length}; r0 = 0 on success. QEMU fails (-1) if the
   * line plus its NUL does not fit. */
  uint32_t block[2] = {(uint32_t)(uintptr_t)buf, (uint32_t)cap};
  if (cap == 0 || llmcu_semihost_call(SYS_GET_CMDLINE, block) != 0) return -1;
  if (block[1] >= cap) return -1;
  buf[block[1]] = '\0';
  return (int)block[1];
}

long llmcu_mcu_read_file_into(const char *path, void *buf, size_t cap) {
  FILE *f = fopen(path, "rb");
  if (!f) return -1;
  /* Read one byte more than cap to detect a file that does not fit. */
  size_t n = fread(buf, 1, cap, f);
  int more = (n == cap) && fgetc(f) != EOF;
  int err = ferror(f);
  fclose(f);
  return (err || more) ? -1 : (long)n;
}

void *llmcu_mcu_read_file(const char *path, size_t *size) {
  /* ftell after SEEK_END becomes SYS_FLEN under rdimon: one allocation of the exact size,
   * which matters for multi-MiB model files in a heap without much slack. */
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  long len = -1;
  if (fseek(f, 0, SEEK_END) == 0) len = ftell(f);
  if (len < 0 || fseek(f, 0, SEEK_SET) != 0) {
    fclose(f);
    return NULL;
  }
  char *buf = (char *)malloc(len > 0 ? (size_t)len : 1);
  size_t n = buf ? fread(buf, 1, (size_t)len, f) : 0;
  fclose(f);
  if (!buf || n != (size_t)len) {
    free(buf);
    return NULL;
  }
  if (size) *size = (size_t)len;
  return buf;
}

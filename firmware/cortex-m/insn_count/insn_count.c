/* insn_count: QEMU TCG plugin that counts executed guest instructions exactly and records the
 * count each time the guest calls llmcu_insn_mark(id) (firmware/cortex-m/insn_counter.c).
 *
 *   qemu-system-arm ... -plugin ./libinsn_count.so,mark=0x<address of llmcu_insn_mark> -d plugin
 *   (optional ,prof=FILE: instruction counts per translated block, for insn_profile.sh)
 *
 * At exit it prints (through qemu_plugin_outs, i.e. QEMU's log: stderr or -D FILE):
 *   insn_count: mark id=<id> count=<instructions so far> delta=<since previous mark>
 *   insn_count: total=<instructions>
 *
 * How: every instruction gets an inline "counter += 1" (exact even when a TB is left early, e.g.
 * by an exception). The plugin API v1 of QEMU 7.2 cannot read guest registers, so the marker
 * passes its id as the *address* of a byte load, which a memory callback sees.
 *
 * Debian ships no qemu-plugin.h, so the few declarations used are written out below; they
 * match QEMU 7.2's include/qemu/qemu-plugin.h (QEMU_PLUGIN_VERSION 1). */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QEMU_PLUGIN_EXPORT __attribute__((visibility("default")))

typedef uint64_t qemu_plugin_id_t;
typedef uint32_t qemu_plugin_meminfo_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;

typedef struct qemu_info_t {
  const char *target_name;
  struct {
    int min;
    int cur;
  } version;
  bool system_emulation;
  union {
    struct {
      int smp_vcpus;
      int max_vcpus;
    } system;
  };
} qemu_info_t;

enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
enum qemu_plugin_mem_rw { QEMU_PLUGIN_MEM_R = 1, QEMU_PLUGIN_MEM_W, QEMU_PLUGIN_MEM_RW };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };

typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_mem_cb_t)(unsigned int vcpu_index, qemu_plugin_meminfo_t info,
                                          uint64_t vaddr, void *userdata);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *insn,
                                                enum qemu_plugin_op op, void *ptr, uint64_t imm);
void qemu_plugin_register_vcpu_mem_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_mem_cb_t cb,
                                      enum qemu_plugin_cb_flags flags, enum qemu_plugin_mem_rw rw,
                                      void *userdata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, enum qemu_plugin_op op,
                                              void *ptr, uint64_t imm);
void qemu_plugin_outs(const char *string);

QEMU_PLUGIN_EXPORT int qemu_plugin_version = 1;

/* ---------------------------------------------------------------- state */
/* One counter: the MPS2 boards have one vCPU and TCG then runs it in a single thread. */
static uint64_t insn_count;
static uint64_t mark_addr = UINT64_MAX; /* start of llmcu_insn_mark (Thumb bit cleared) */
#define MARK_CODE_BYTES 8u              /* ubfx (4) + ldrb (2) + bx lr (2) */
#define MARK_ID_MASK 0x3FFFFFu          /* the guest masks id to 22 bits */

typedef struct {
  uint32_t id;
  uint64_t count;
} mark_t;
static mark_t *marks;
static size_t n_marks, cap_marks;

/* Profile (prof=FILE): one counter per translated block, bumped inline each time it runs. At
 * exit, "address instructions executions" per block goes to FILE; insn_profile.sh adds them up
 * per function. A block left early by an exception still counts whole: a small overcount. */
typedef struct {
  uint64_t vaddr;
  uint64_t n_insns;
  uint64_t executions;
} block_t;
static block_t **blocks; /* pointers: the counters must not move when the array grows */
static size_t n_blocks, cap_blocks;
static char *prof_path;

static void on_mark_load(unsigned int vcpu, qemu_plugin_meminfo_t info, uint64_t vaddr,
                         void *userdata) {
  (void)vcpu, (void)info, (void)userdata;
  if (n_marks == cap_marks) {
    cap_marks = cap_marks ? 2 * cap_marks : 1024;
    marks = realloc(marks, cap_marks * sizeof *marks);
    if (!marks) abort();
  }
  marks[n_marks].id = (uint32_t)(vaddr & MARK_ID_MASK);
  marks[n_marks].count = insn_count; /* includes the ldrb itself */
  n_marks++;
}

static void on_tb_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
  (void)id;
  const size_t n = qemu_plugin_tb_n_insns(tb);
  if (prof_path) {
    if (n_blocks == cap_blocks) {
      cap_blocks = cap_blocks ? 2 * cap_blocks : 4096;
      blocks = realloc(blocks, cap_blocks * sizeof *blocks);
      if (!blocks) abort();
    }
    block_t *b = calloc(1, sizeof *b);
    if (!b) abort();
    b->vaddr = qemu_plugin_tb_vaddr(tb);
    b->n_insns = n;
    blocks[n_blocks++] = b;
    qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &b->executions, 1);
  }
  for (size_t i = 0; i < n; i++) {
    struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
    qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &insn_count, 1);
    /* Only the marker's ldrb accesses memory, so a memory callback on its few instructions
     * fires exactly once per call. (QEMU_PLUGIN_MEM_R alone never fired on QEMU 7.2 / Debian;
     * RW does, and the marker has no stores.) */
    if (qemu_plugin_insn_vaddr(insn) - mark_addr < MARK_CODE_BYTES)
      qemu_plugin_register_vcpu_mem_cb(insn, on_mark_load, QEMU_PLUGIN_CB_NO_REGS,
                                       QEMU_PLUGIN_MEM_RW, NULL);
  }
}

static void plugin_exit(qemu_plugin_id_t id, void *userdata) {
  (void)id, (void)userdata;
  char line[160];
  uint64_t prev = 0;
  for (size_t i = 0; i < n_marks; i++) {
    snprintf(line, sizeof line, "insn_count: mark id=%" PRIu32 " count=%" PRIu64 " delta=%" PRIu64
             "\n", marks[i].id, marks[i].count, marks[i].count - prev);
    qemu_plugin_outs(line);
    prev = marks[i].count;
  }
  snprintf(line, sizeof line, "insn_count: total=%" PRIu64 "\n", insn_count);
  qemu_plugin_outs(line);
  free(marks);
  if (prof_path) {
    FILE *f = fopen(prof_path, "w");
    if (f) {
      for (size_t i = 0; i < n_blocks; i++) {
        if (blocks[i]->executions)
          fprintf(f, "0x%" PRIx64 " %" PRIu64 " %" PRIu64 "\n", blocks[i]->vaddr,
                  blocks[i]->n_insns, blocks[i]->executions);
        free(blocks[i]);
      }
      fclose(f);
    } else {
      fprintf(stderr, "insn_count: cannot write %s\n", prof_path);
    }
    free(blocks);
  }
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
                                           char **argv) {
  (void)info;
  for (int i = 0; i < argc; i++) {
    if (strncmp(argv[i], "mark=", 5) == 0) {
      mark_addr = strtoull(argv[i] + 5, NULL, 0) & ~1ull; /* nm may print the Thumb bit */
    } else if (strncmp(argv[i], "prof=", 5) == 0) {
      prof_path = strdup(argv[i] + 5); /* argv is not ours to keep */
    } else {
      fprintf(stderr, "insn_count: unknown argument '%s' (expected mark=ADDRESS or prof=FILE)\n",
              argv[i]);
      return -1;
    }
  }
  qemu_plugin_register_vcpu_tb_trans_cb(id, on_tb_translate);
  qemu_plugin_register_atexit_cb(id, plugin_exit, NULL);
  return 0;
}

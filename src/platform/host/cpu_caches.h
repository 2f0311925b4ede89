// How much cache the calling CPU can use, for `llmcu bench`'s verdict on
// whether a model's weights could be served from cache instead of DRAM.
//
// Why sysfs first: under a hypervisor, the CPUID leaves that glibc's
// sysconf(_SC_LEVEL3_CACHE_SIZE) decodes can report a cache no core has (a
// 2-core EPYC VM: 256 MiB there, 32 MiB in sysfs and in lscpu). The kernel's
// topology under /sys/devices/system/cpu/cpu0/cache is what the scheduler
// and lscpu use; sysconf is the fallback where sysfs is absent.
#pragma once

#include <cstdint>

namespace llmcu::host {

// The largest data or unified cache listed under `cache_dir` (index0,
// index1, ..., each with `size` such as "32768K" and `type`), in bytes; 0
// when the directory lists none.
uint64_t largest_cache_bytes_in(const char* cache_dir);

// The largest data or unified cache of CPU 0: sysfs, else sysconf; 0 when
// neither says.
uint64_t largest_cache_bytes();

}  // namespace llmcu::host

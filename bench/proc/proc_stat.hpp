#pragma once
/// @file
/// What the benchmarks read of files and processes (/proc, proc(5)): CPU time and resident
/// memory, of one process or of every process by command name. Shared by the load
/// driver (`stratus-bench`) and the micro-benchmarks (a PostgreSQL backend's CPU).

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

namespace stratus::bench {

/// A file's whole text, as bytes; "" when it cannot be read (a /proc file of a process
/// that ended). Thread-safe.
std::string read_text(const std::filesystem::path& path);

/// Resident set size of a process in KiB (VmRSS of /proc/<pid>/status); 0 if unknown.
std::uint64_t rss_kib(pid_t pid);

/// CPU time (user + system) a process has used, in seconds; 0 if unknown.
double cpu_seconds(pid_t pid);

/// CPU time (user + system, seconds) of every process on the machine, summed by command
/// name (`comm`; kernel threads such as `kworker/1:2` under the part before the `/`), as
/// /proc lists them when called. A process that ends between two calls drops out of the
/// second, so compare calls over windows where the measured processes live throughout.
/// Thread-safe (it only reads /proc).
std::map<std::string, double> cpu_seconds_by_command();

/// The machine's CPU time so far (the aggregate `cpu` line of /proc/stat, proc(5)), in
/// clock ticks: all of it (user … steal), and what the hypervisor ran elsewhere while this
/// machine's CPUs wanted to run (steal). Zeros if it cannot be read. Thread-safe.
struct MachineTicks {
  std::uint64_t total = 0;
  std::uint64_t steal = 0;
};
MachineTicks machine_ticks();

/// Steal between two readings as a percentage of all CPU time between them (0–100; 0 when
/// no time passed): on a virtual machine, the share a busy host took, which stretches every
/// latency measured in that window.
double steal_percent(const MachineTicks& from, const MachineTicks& to);

}  // namespace stratus::bench

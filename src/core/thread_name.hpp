#pragma once

/// Names for the threads of a process, as `top -H`, `ps -L`, `perf` and `/proc/<pid>/task/
/// <tid>/comm` show them (docs/operations: which thread is busy), their CPU priority and the
/// CPU time they used.

#include <string_view>

#include "core/error.hpp"

namespace stratus::core {

/// Names the calling thread `name`, cut to the 15 bytes Linux keeps (`pthread_setname_np`).
/// Best effort: a refusal changes nothing and is not reported. Thread-safe (it touches only
/// the calling thread).
void name_this_thread(std::string_view name) noexcept;

/// Gives the calling thread the nice value `nice` (0–19, as nice(1)): Linux keeps one per
/// thread (`setpriority(PRIO_PROCESS, <thread id>, nice)`). Under contention the scheduler
/// gives a thread about 1.25 times less CPU per step than one at 0; a thread that does
/// not compete for the CPU runs as before. Errors: errc::invalid_argument for a value
/// outside 0–19; errc::forbidden when the system refuses (going back to a lower value
/// needs CAP_SYS_NICE or RLIMIT_NICE). Thread-safe (it touches only the calling thread).
/// Used by the ingest writer (docs/adr/0031).
Result<void> set_this_thread_nice(int nice);

/// The calling thread's nice value (`getpriority`), for logs and tests. Thread-safe.
[[nodiscard]] int this_thread_nice() noexcept;

/// The CPU time the calling thread has used so far, in seconds (`CLOCK_THREAD_CPUTIME_ID`:
/// user and system, nanosecond resolution); 0 if the clock cannot be read. The difference
/// of two readings against the wall clock tells running from waiting (runnable and not
/// scheduled, or blocked). Thread-safe.
[[nodiscard]] double this_thread_cpu_seconds() noexcept;

}  // namespace stratus::core

#pragma once

/// Names for the threads of a process, as `top -H`, `ps -L`, `perf` and `/proc/<pid>/task/
/// <tid>/comm` show them (docs/operations: which thread is busy).

#include <string_view>

namespace stratus::core {

/// Names the calling thread `name`, cut to the 15 bytes Linux keeps (`pthread_setname_np`).
/// Best effort: a refusal changes nothing and is not reported. Thread-safe (it touches only
/// the calling thread).
void name_this_thread(std::string_view name) noexcept;

}  // namespace stratus::core

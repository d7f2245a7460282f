#pragma once
/// @file
/// Free-port discovery and readiness probes for the embedded broker.

#include <chrono>
#include <cstdint>
#include <string>

#include "core/error.hpp"

namespace stratus::broker {

/// Asks the kernel for a free TCP port on `bind_address` (binds port 0, reads
/// the port, closes). The port may be taken again before it is used; callers
/// that hand it to another process must cope with a failed start.
/// Errors: errc::unavailable with the OS error. Thread-safe.
Result<std::uint16_t> pick_free_port(const std::string& bind_address);

/// True if a TCP connection to host:port succeeds within `timeout`. Thread-safe.
bool tcp_accepts(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout);

}  // namespace stratus::broker

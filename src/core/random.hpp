#pragma once
/// @file
/// Randomness as a dependency, so tests can be deterministic where they need to.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace stratus {

/// Fills buffers with cryptographically secure random bytes (the kernel's CSPRNG
/// via getrandom(2)). Thread-safe. Aborts if the kernel cannot deliver, which on
/// Linux >= 3.17 only happens before the entropy pool is initialised at boot.
void random_bytes(std::span<std::byte> out);

/// `n` random bytes as lower-case hex (2n characters). Thread-safe.
[[nodiscard]] std::string random_hex(std::size_t n);

}  // namespace stratus

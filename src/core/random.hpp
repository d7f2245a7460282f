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

/// `n` characters drawn uniformly from `[A-Za-z0-9]` (rejection sampling, ≈ 5.95 bits
/// each): the shape of RainMaker node ids and command request ids (22 characters ≈ 131
/// bits, so they cannot be guessed or collide in practice). Thread-safe.
[[nodiscard]] std::string random_alnum(std::size_t n);

/// A random (version 4) UUID, RFC 9562 §5.4, in lower-case text form: 36 characters
/// `xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx` where V is one of `8 9 a b` and the other 122
/// bits come from `random_bytes`. Used for user ids, session ids and secrets that must
/// look like UUIDs. Thread-safe.
[[nodiscard]] std::string uuid_v4();

}  // namespace stratus

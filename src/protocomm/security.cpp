#include "protocomm/security.hpp"

#include <cstddef>

#include "core/random.hpp"

namespace stratus::protocomm {

RandomSource system_random() {
  return [](std::span<std::uint8_t> out) { random_bytes(std::as_writable_bytes(out)); };
}

}  // namespace stratus::protocomm

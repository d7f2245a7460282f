#include "agent/device_security.hpp"

#include <utility>

#include "protocomm/security0.hpp"
#include "protocomm/security1.hpp"
#include "protocomm/security2.hpp"

namespace stratus::agent {

Result<std::unique_ptr<protocomm::DeviceSecurity>> make_device_security(
    protocomm::SecurityVersion security, const std::string& pop,
    const protocomm::RandomSource& random) {
  switch (security) {
    case protocomm::SecurityVersion::sec0:
      return std::unique_ptr<protocomm::DeviceSecurity>(std::make_unique<protocomm::Sec0Device>());
    case protocomm::SecurityVersion::sec1:
      return std::unique_ptr<protocomm::DeviceSecurity>(
          std::make_unique<protocomm::Sec1Device>(pop, random));
    case protocomm::SecurityVersion::sec2: {
      if (pop.empty()) {
        return fail(errc::invalid_argument, "security 2 needs a proof of possession");
      }
      auto verifier = protocomm::make_sec2_verifier(protocomm::kSec2Username, pop, random);
      if (!verifier) {
        return fail(std::move(verifier).error());
      }
      return std::unique_ptr<protocomm::DeviceSecurity>(
          std::make_unique<protocomm::Sec2Device>(std::move(*verifier), random));
    }
  }
  return fail(errc::invalid_argument, "unknown security version");
}

Result<std::string> serve_protected(
    protocomm::DeviceSecurity& security, std::string_view body,
    const std::function<Result<std::string>(std::string_view plain)>& handler) {
  // Security 0 has no decrypt/encrypt in protocomm: messages pass as they are, handshake
  // or not.
  if (security.version() == protocomm::SecurityVersion::sec0) {
    return handler(body);
  }
  auto plain = security.decrypt(body);
  if (!plain) {
    return fail(std::move(plain).error());
  }
  auto reply = handler(*plain);
  if (!reply) {
    return reply;
  }
  return security.encrypt(*reply);
}

}  // namespace stratus::agent

#include "broker/wirepas_credentials.hpp"

#include <string_view>

#include "broker/detail/atomic_file.hpp"
#include "wirepas/topic_rules.hpp"

namespace stratus::broker {
namespace {

bool lower_hex(std::string_view text, std::size_t size) noexcept {
  if (text.size() != size)
    return false;
  for (const char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return false;
  }
  return true;
}

}  // namespace

Result<void> write_wirepas_credentials(const std::filesystem::path& file,
                                       const std::vector<WirepasBrokerCredential>& credentials) {
  std::string text =
      "# Wirepas gateways and operators (role name salt HMAC-SHA-256), written by stratusd.\n";
  for (const auto& c : credentials) {
    if ((c.role != "gateway" && c.role != "operator") || !wirepas::valid_broker_identity(c.name) ||
        !lower_hex(c.salt, 32) || !lower_hex(c.mac, 64)) {
      return fail(errc::invalid_argument,
                  "malformed Wirepas credential \"" + c.name.substr(0, 80) + "\"");
    }
    text += c.role + ' ' + c.name + ' ' + c.salt + ' ' + c.mac + '\n';
  }
  return detail::replace_file(file, text, 0600);
}

}  // namespace stratus::broker

#include "broker/revocation_list.hpp"

#include "broker/detail/atomic_file.hpp"

namespace stratus::broker {

bool valid_fingerprint(std::string_view text) noexcept {
  if (text.size() != 64)
    return false;
  for (const char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return false;
  }
  return true;
}

Result<void> write_revocation_list(const std::filesystem::path& file,
                                   const std::vector<std::string>& fingerprints) {
  return write_fingerprint_list(
      file, fingerprints, "Revoked node certificates (SHA-256 of the DER), written by stratusd.");
}

Result<void> write_fingerprint_list(const std::filesystem::path& file,
                                    const std::vector<std::string>& fingerprints,
                                    std::string_view comment) {
  for (const auto& f : fingerprints) {
    if (!valid_fingerprint(f)) {
      return fail(
          errc::invalid_argument,
          "not a SHA-256 fingerprint (64 lower-case hex characters): \"" + f.substr(0, 80) + "\"");
    }
  }
  std::string text = "# " + std::string(comment) + "\n";
  for (const auto& f : fingerprints) {
    text += f;
    text += '\n';
  }
  return detail::replace_file(file, text, 0644);
}

}  // namespace stratus::broker

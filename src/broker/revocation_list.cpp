#include "broker/revocation_list.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

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
  const auto tmp = file.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << "# " << comment << '\n';
    for (const auto& f : fingerprints)
      out << f << '\n';
    out.flush();
    if (!out)
      return fail(errc::unavailable, "cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), file.c_str()) != 0) {
    return fail(errc::unavailable,
                "cannot rename " + tmp + " to " + file.string() + ": " + std::strerror(errno));
  }
  return {};
}

}  // namespace stratus::broker

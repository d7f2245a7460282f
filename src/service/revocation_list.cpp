#include "service/revocation_list.hpp"

#include <chrono>

#include "log/log.hpp"

namespace stratus::service {

using log::Channel;

RevocationList::RevocationList(storage::ClaimRepository& claims, CertificateRevocations& broker,
                               const Clock& clock)
    : claims_(claims), broker_(broker), clock_(clock) {}

Result<std::size_t> RevocationList::publish() {
  std::lock_guard lock(mutex_);
  const auto now_s =
      std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
  auto list = claims_.revoked_fingerprints(now_s);
  if (!list) {
    log::error(Channel::service, "revocation list not read: {}", list.error().message());
    return fail(list.error());
  }
  if (auto r = broker_.publish(*list); !r) {
    log::error(Channel::service, "revocation list not published to the broker: {}",
               r.error().message());
    return fail(r.error());
  }
  return list->size();
}

}  // namespace stratus::service

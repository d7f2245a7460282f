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
  return publish_locked();
}

Result<bool> RevocationList::retry() {
  std::lock_guard lock(mutex_);
  if (!due_)
    return false;
  if (auto r = publish_locked(); !r)
    return fail(r.error());
  log::info(Channel::service, "revocation list published to the broker after an earlier failure");
  return true;
}

Result<std::size_t> RevocationList::publish_locked() {
  due_ = true;  // until the write below succeeds
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
  due_ = false;
  return list->size();
}

}  // namespace stratus::service

#include "service/ca_revocation_list.hpp"

#include <utility>

namespace stratus::service {

CaRevocationList::CaRevocationList(storage::ClaimRepository& claims, NodeCertificateIssuer& ca,
                                   const Clock& clock, std::chrono::seconds reuse,
                                   std::chrono::seconds validity)
    : claims_(claims), ca_(ca), clock_(clock), reuse_(reuse), validity_(validity) {}

Result<std::shared_ptr<const CaRevocationList::Signed>> CaRevocationList::current() {
  const auto steady = clock_.steady_now();
  {
    std::lock_guard lock(mutex_);
    const bool recent = tried_at_ && steady - *tried_at_ < reuse_;
    if (building_ || recent) {
      if (failed_)
        return last_or(*failed_);
      if (last_)
        return last_;
      return fail(errc::unavailable, "the revocation list is being built; try again");
    }
    building_ = true;
    tried_at_ = steady;
  }
  auto built = build();
  std::lock_guard lock(mutex_);
  building_ = false;
  if (!built) {
    failed_ = built.error();
    return last_or(built.error());
  }
  failed_.reset();
  last_ = *built;
  return last_;
}

Result<std::shared_ptr<const CaRevocationList::Signed>> CaRevocationList::build() {
  const auto at = clock_.now();
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count();
  auto revoked = claims_.revoked_serials(now - validity_.count());
  if (!revoked)
    return fail(revoked.error());
  const auto next_update = now + validity_.count();
  const auto number = static_cast<std::uint64_t>(unix_ms(at));
  auto der = ca_.sign_revocation_list(*revoked, now, next_update, number);
  if (!der)
    return fail(der.error());
  return std::make_shared<const Signed>(Signed{*std::move(der), now, next_update, number});
}

Result<std::shared_ptr<const CaRevocationList::Signed>> CaRevocationList::last_or(
    const Error& why) const {
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
  if (last_ && now < last_->next_update)
    return last_;
  return fail(why);
}

}  // namespace stratus::service

#include "service/ca_revocation_list.hpp"

#include <utility>

namespace stratus::service {

CaRevocationList::CaRevocationList(storage::ClaimRepository& claims, NodeCertificateIssuer& ca,
                                   const Clock& clock, std::chrono::seconds reuse,
                                   std::chrono::seconds validity)
    : claims_(claims), ca_(ca), clock_(clock), reuse_(reuse), validity_(validity) {}

Result<std::shared_ptr<const CaRevocationList::Signed>> CaRevocationList::current() {
  std::lock_guard lock(mutex_);
  const auto steady = clock_.steady_now();
  if (last_ && built_at_ && steady - *built_at_ < reuse_)
    return last_;
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
  auto revoked = claims_.revoked_claim_serials(now);
  if (!revoked)
    return fail(revoked.error());
  // Its cRLNumber is `now`: lists signed `reuse` (≥ 1 s) apart have growing numbers.
  const auto next_update = now + validity_.count();
  auto der = ca_.sign_revocation_list(*revoked, now, next_update);
  if (!der)
    return fail(der.error());
  last_ =
      std::make_shared<const Signed>(Signed{*std::move(der), now, next_update, revoked->size()});
  built_at_ = steady;
  return last_;
}

}  // namespace stratus::service

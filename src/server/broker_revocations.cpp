#include "server/broker_revocations.hpp"

#include "broker/revocation_list.hpp"

namespace stratus::server {

Result<void> BrokerRevocations::publish(const std::vector<std::string>& fingerprints) {
  std::lock_guard lock(mutex_);
  return broker::write_revocation_list(file_, fingerprints);
}

}  // namespace stratus::server

#include "server/broker_revocations.hpp"

#include "broker/revocation_list.hpp"
#include "broker/wirepas_credentials.hpp"

namespace stratus::server {

Result<void> BrokerRevocations::publish(const std::vector<std::string>& fingerprints) {
  std::lock_guard lock(mutex_);
  return broker::write_revocation_list(file_, fingerprints);
}

Result<void> BrokerWirepasAccess::publish(
    const std::vector<storage::WirepasCredential>& credentials) {
  std::vector<broker::WirepasBrokerCredential> lines;
  lines.reserve(credentials.size());
  for (const auto& c : credentials)
    lines.push_back(broker::WirepasBrokerCredential{c.role, c.name, c.salt, c.mac});
  std::lock_guard lock(mutex_);
  return broker::write_wirepas_credentials(file_, lines);
}

}  // namespace stratus::server

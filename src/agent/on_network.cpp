#include "agent/on_network.hpp"

#include <utility>

#include "agent/device_security.hpp"
#include "protocomm/capabilities.hpp"

namespace stratus::agent {

struct OnNetworkChallengeEngine::Impl {
  Impl(OnNetworkOptions o, std::unique_ptr<protocomm::DeviceSecurity> s)
      : options(std::move(o)), security(std::move(s)), responder(options.node_id, options.sign) {}
  OnNetworkOptions options;
  std::unique_ptr<protocomm::DeviceSecurity> security;
  ChallengeResponder responder;
  std::uint64_t signed_count = 0;
};

Result<std::unique_ptr<OnNetworkChallengeEngine>> OnNetworkChallengeEngine::create(
    OnNetworkOptions options) {
  if (!options.sign) {
    return fail(errc::invalid_argument, "on-network challenge-response needs a signer");
  }
  auto security = make_device_security(options.security, options.pop, options.random);
  if (!security) {
    return fail(std::move(security).error());
  }
  return std::unique_ptr<OnNetworkChallengeEngine>(new OnNetworkChallengeEngine(
      std::make_unique<Impl>(std::move(options), std::move(*security))));
}

OnNetworkChallengeEngine::OnNetworkChallengeEngine(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}
OnNetworkChallengeEngine::~OnNetworkChallengeEngine() = default;

bool OnNetworkChallengeEngine::serves(std::string_view endpoint) const noexcept {
  return endpoint == protocomm::kEndpointLocalCtrlVersion ||
         endpoint == protocomm::kEndpointLocalCtrlSession ||
         endpoint == protocomm::kEndpointChallengeResponse;
}

Result<std::string> OnNetworkChallengeEngine::handle(std::string_view endpoint,
                                                     std::string_view body) {
  auto& s = *impl_;
  if (endpoint == protocomm::kEndpointLocalCtrlVersion) {
    return std::string(kOnNetworkVersionJson);
  }
  if (endpoint == protocomm::kEndpointLocalCtrlSession) {
    return s.security->handle(body);
  }
  if (endpoint == protocomm::kEndpointChallengeResponse) {
    return serve_protected(*s.security, body, [&](std::string_view plain) -> Result<std::string> {
      auto answer = s.responder.handle(plain);
      if (!answer) {
        return fail(std::move(answer).error());
      }
      if (answer->signed_challenge) {
        ++s.signed_count;
      }
      return std::move(answer->response);
    });
  }
  return fail(errc::not_found, "no endpoint " + std::string(endpoint));
}

void OnNetworkChallengeEngine::new_session() noexcept {
  impl_->security->reset();
}

bool OnNetworkChallengeEngine::finished() const noexcept {
  return impl_->responder.disabled();
}

std::uint64_t OnNetworkChallengeEngine::challenges_signed() const noexcept {
  return impl_->signed_count;
}

}  // namespace stratus::agent

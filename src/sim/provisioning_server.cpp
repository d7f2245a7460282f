#include "sim/provisioning_server.hpp"

#include <utility>

namespace stratus::sim {

namespace {

// The engine behind the generic transport; hands its events to the sink after each call.
class ProvisioningHandler final : public ProtocommHandler {
 public:
  ProvisioningHandler(std::unique_ptr<agent::ProvisioningEngine> engine, ProvisioningEventSink sink)
      : engine_(std::move(engine)), sink_(std::move(sink)) {}

  bool serves(std::string_view endpoint) const override { return engine_->serves(endpoint); }

  Result<std::string> handle(std::string_view endpoint, std::string_view body) override {
    auto answer = engine_->handle(endpoint, body);
    flush();
    return answer;
  }

  void new_session() override { engine_->new_session(); }

  std::optional<std::chrono::steady_clock::time_point> next_deadline() override {
    return engine_->next_deadline();
  }

  void tick() override {
    engine_->tick();
    flush();
  }

  bool finished() override { return engine_->finished(); }

 private:
  void flush() {
    for (const auto& event : engine_->take_events()) {
      if (sink_) {
        sink_(event);
      }
    }
  }

  std::unique_ptr<agent::ProvisioningEngine> engine_;
  ProvisioningEventSink sink_;
};

}  // namespace

ProvisioningServer::ProvisioningServer(std::unique_ptr<ProtocommServer> server)
    : server_(std::move(server)) {}

ProvisioningServer::~ProvisioningServer() {
  stop();
}

Result<std::unique_ptr<ProvisioningServer>> ProvisioningServer::start(
    std::unique_ptr<agent::ProvisioningEngine> engine, ProvisioningServerOptions options,
    ProvisioningEventSink sink) {
  if (!engine) {
    return fail(errc::invalid_argument, "provisioning server without an engine");
  }
  if (options.name == ProtocommServerOptions{}.name) {
    options.name = "provisioning";
  }
  auto server = ProtocommServer::start(
      std::make_unique<ProvisioningHandler>(std::move(engine), std::move(sink)),
      std::move(options));
  if (!server) {
    return fail(std::move(server).error());
  }
  return std::unique_ptr<ProvisioningServer>(new ProvisioningServer(std::move(*server)));
}

std::uint16_t ProvisioningServer::port() const noexcept {
  return server_->port();
}

void ProvisioningServer::stop() {
  if (server_) {
    server_->stop();
  }
}

bool ProvisioningServer::running() const noexcept {
  return server_->running();
}

}  // namespace stratus::sim

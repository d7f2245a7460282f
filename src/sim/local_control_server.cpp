#include "sim/local_control_server.hpp"

#include <future>
#include <utility>

namespace stratus::sim {

namespace {

// Runs the engine on the session's thread and waits for its answer.
class LocalControlHandler final : public ProtocommHandler {
 public:
  LocalControlHandler(std::unique_ptr<agent::LocalControlEngine> engine, SessionPost post,
                      std::chrono::milliseconds timeout)
      : engine_(std::move(engine)), post_(std::move(post)), timeout_(timeout) {}

  bool serves(std::string_view endpoint) const override { return engine_->serves(endpoint); }

  Result<std::string> handle(std::string_view endpoint, std::string_view body) override {
    auto done = std::make_shared<std::promise<Result<std::string>>>();
    auto answer = done->get_future();
    post_([engine = engine_, done, endpoint = std::string(endpoint), body = std::string(body)](
              agent::NodeSession& session, agent::MqttActions& out) {
      done->set_value(engine->handle(endpoint, body, session, out));
    });
    if (answer.wait_for(timeout_) != std::future_status::ready) {
      return fail(errc::unavailable, "the node did not answer in time");
    }
    try {
      return answer.get();
    } catch (const std::future_error&) {  // the task was dropped (the node stopped)
      return fail(errc::unavailable, "the node stopped");
    }
  }

  void new_session() override {
    post_([engine = engine_](agent::NodeSession&, agent::MqttActions&) { engine->new_session(); });
  }

 private:
  std::shared_ptr<agent::LocalControlEngine> engine_;
  SessionPost post_;
  std::chrono::milliseconds timeout_;
};

class OnNetworkHandler final : public ProtocommHandler {
 public:
  OnNetworkHandler(std::unique_ptr<agent::OnNetworkChallengeEngine> engine, OnNetworkSink sink)
      : engine_(std::move(engine)), sink_(std::move(sink)) {}

  bool serves(std::string_view endpoint) const override { return engine_->serves(endpoint); }

  Result<std::string> handle(std::string_view endpoint, std::string_view body) override {
    const auto signed_before = engine_->challenges_signed();
    const bool finished_before = engine_->finished();
    auto answer = engine_->handle(endpoint, body);
    if (sink_ && engine_->challenges_signed() != signed_before) {
      sink_("challenge signed");
    }
    if (sink_ && engine_->finished() && !finished_before) {
      sink_("challenge-response disabled");
    }
    return answer;
  }

  void new_session() override { engine_->new_session(); }

  bool finished() override { return engine_->finished(); }

 private:
  std::unique_ptr<agent::OnNetworkChallengeEngine> engine_;
  OnNetworkSink sink_;
};

}  // namespace

Result<std::unique_ptr<ProtocommServer>> start_local_control_server(
    std::unique_ptr<agent::LocalControlEngine> engine, SessionPost post,
    ProtocommServerOptions options, std::chrono::milliseconds answer_timeout) {
  if (!engine || !post) {
    return fail(errc::invalid_argument, "local control server needs an engine and a session");
  }
  if (options.name == ProtocommServerOptions{}.name) {
    options.name = "local control";
  }
  return ProtocommServer::start(
      std::make_unique<LocalControlHandler>(std::move(engine), std::move(post), answer_timeout),
      std::move(options));
}

Result<std::unique_ptr<ProtocommServer>> start_on_network_server(
    std::unique_ptr<agent::OnNetworkChallengeEngine> engine, ProtocommServerOptions options,
    OnNetworkSink sink) {
  if (!engine) {
    return fail(errc::invalid_argument, "on-network server needs an engine");
  }
  if (options.name == ProtocommServerOptions{}.name) {
    options.name = "on-network challenge-response";
  }
  options.finish_delay = std::chrono::seconds(2);  // STOP_DELAY_US
  return ProtocommServer::start(
      std::make_unique<OnNetworkHandler>(std::move(engine), std::move(sink)), std::move(options));
}

}  // namespace stratus::sim

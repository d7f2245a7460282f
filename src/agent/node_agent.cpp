#include "agent/node_agent.hpp"

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "core/assert.hpp"
#include "log/log.hpp"

namespace stratus::agent {

namespace asio = boost::asio;

struct NodeAgent::Impl {
  Impl(NodeModel& model, const Clock& clock, AgentOptions agent_options)
      : session(model, clock, agent_options.session), options(std::move(agent_options)) {
    options.mqtt.client_id = model.node_id();
  }

  NodeSession session;
  AgentOptions options;
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(io);
  std::thread thread;
  std::function<void(bool, const std::string&)> on_connection;

  // Agent thread only.
  std::unique_ptr<mqtt::Client> client;
  // Clients replaced by a reboot: kept until stop, since callbacks they already handed to
  // the io_context may still refer to them.
  std::vector<std::unique_ptr<mqtt::Client>> retired;
  std::uint64_t generation = 0;
  std::set<std::string, std::less<>> subscribed;
  std::vector<std::unique_ptr<asio::steady_timer>> timers;
  MqttActions actions;

  std::atomic<std::uint64_t> failed_publishes{0};
  bool started = false;
  bool stopped = false;

  void execute() {
    for (auto& action : actions) {
      if (action.kind == MqttAction::Kind::subscribe) {
        // mqtt::Client keeps its subscriptions and re-sends them on every reconnect, so
        // each filter is added once per client.
        if (subscribed.insert(action.topic).second) {
          client->subscribe(action.topic, 1);
        }
        continue;
      }
      if (auto ok = client->publish(action.topic, action.payload, 1, false); !ok) {
        failed_publishes.fetch_add(1, std::memory_order_relaxed);
        log::warn(log::Channel::agent, "publish failed topic={} error={}", action.topic,
                  ok.error().context);
      }
    }
    actions.clear();
  }

  void run(const SessionTask& task) {
    task(session, actions);
    execute();
  }

  Result<void> connect() {
    const auto this_generation = ++generation;
    auto dispatch = [this, this_generation](std::function<void()> f) {
      asio::post(io, [this, this_generation, f = std::move(f)] {
        if (this_generation == generation) {
          f();
        }
      });
    };
    client = mqtt::make_mosquitto_client(options.mqtt, dispatch);
    subscribed.clear();
    client->on_message([this](const mqtt::Message& m) {
      session.on_message(m.topic, m.payload, actions);
      execute();
    });
    client->on_connection([this](bool connected, const std::string& reason) {
      if (connected) {
        session.on_connected(actions);
        execute();
      } else {
        session.on_disconnected();
      }
      if (on_connection) {
        on_connection(connected, reason);
      }
    });
    return client->start();
  }

  void schedule(asio::steady_timer& timer, std::chrono::milliseconds period, SessionTask task) {
    timer.expires_after(period);
    timer.async_wait([this, &timer, period, task = std::move(task)](const auto& ec) mutable {
      if (ec || stopped) {
        return;
      }
      run(task);
      schedule(timer, period, std::move(task));
    });
  }
};

mqtt::ClientOptions firmware_mqtt_options(std::string host, std::uint16_t port,
                                          mqtt::TlsOptions tls) {
  mqtt::ClientOptions options;
  options.host = std::move(host);
  options.port = port;
  options.tls = std::move(tls);
  options.protocol_version = 4;
  options.keepalive = std::chrono::seconds(120);
  options.clean_start = true;
  options.reconnect_min = std::chrono::milliseconds(500);
  options.reconnect_max = std::chrono::seconds(30);
  return options;
}

NodeAgent::NodeAgent(NodeModel& model, const Clock& clock, AgentOptions options)
    : impl_(std::make_unique<Impl>(model, clock, std::move(options))) {}

NodeAgent::~NodeAgent() {
  stop();
}

void NodeAgent::on_connection(std::function<void(bool, const std::string&)> handler) {
  impl_->on_connection = std::move(handler);
}

Result<void> NodeAgent::start() {
  STRATUS_ASSERT(!impl_->started, "NodeAgent::start called twice");
  if (auto ok = impl_->connect(); !ok) {
    return ok;
  }
  impl_->started = true;
  impl_->thread = std::thread([this] { impl_->io.run(); });
  return {};
}

void NodeAgent::stop() {
  if (!impl_->started || impl_->stopped) {
    return;
  }
  asio::post(impl_->io, [this] {
    impl_->stopped = true;
    for (auto& timer : impl_->timers) {
      timer->cancel();
    }
    impl_->work.reset();
  });
  impl_->thread.join();
  // The network threads stop after the agent's thread: nothing they hand over runs now.
  impl_->client->stop();
  for (auto& old : impl_->retired) {
    old->stop();
  }
}

void NodeAgent::post(SessionTask task) {
  asio::post(impl_->io, [this, task = std::move(task)] {
    if (!impl_->stopped) {
      impl_->run(task);
    }
  });
}

void NodeAgent::every(std::chrono::milliseconds period, SessionTask task) {
  asio::post(impl_->io, [this, period, task = std::move(task)]() mutable {
    if (impl_->stopped) {
      return;
    }
    impl_->timers.push_back(std::make_unique<asio::steady_timer>(impl_->io));
    impl_->schedule(*impl_->timers.back(), period, std::move(task));
  });
}

void NodeAgent::after(std::chrono::milliseconds delay, SessionTask task) {
  asio::post(impl_->io, [this, delay, task = std::move(task)]() mutable {
    if (impl_->stopped) {
      return;
    }
    impl_->timers.push_back(std::make_unique<asio::steady_timer>(impl_->io));
    auto& timer = *impl_->timers.back();
    timer.expires_after(delay);
    timer.async_wait([this, task = std::move(task)](const auto& ec) {
      if (!ec && !impl_->stopped) {
        impl_->run(task);
      }
    });
  });
}

void NodeAgent::reboot() {
  asio::post(impl_->io, [this] {
    if (impl_->stopped) {
      return;
    }
    impl_->client->stop();
    impl_->retired.push_back(std::move(impl_->client));
    impl_->session.reboot();
    if (impl_->on_connection) {
      impl_->on_connection(false, "reboot");
    }
    if (auto ok = impl_->connect(); !ok) {
      log::error(log::Channel::agent, "reconnect after reboot failed: {}", ok.error().context);
    }
  });
}

std::uint64_t NodeAgent::failed_publishes() const noexcept {
  return impl_->failed_publishes.load(std::memory_order_relaxed);
}

}  // namespace stratus::agent

#include "agent/node_agent.hpp"

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "core/assert.hpp"
#include "log/log.hpp"

namespace stratus::agent {

namespace asio = boost::asio;

namespace {

constexpr std::size_t kMaxOtaStateBytes = 64 * 1024;

// Writes `text` to `path` atomically (temp file + rename), mode 0600.
Result<void> write_file_atomically(const std::filesystem::path& path, const std::string& text) {
  auto tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      return fail(errc::unavailable, "cannot write " + tmp.string());
    }
  }
  std::error_code ec;
  std::filesystem::permissions(
      tmp, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, ec);
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    return fail(errc::unavailable, "cannot rename " + tmp.string() + ": " + ec.message());
  }
  return {};
}

}  // namespace

// Runs one download at a time on a thread of its own; a new request cancels the running
// one. Posts nothing itself: the callbacks given to `start` do.
class DownloadWorker {
 public:
  using Job = std::function<void(const OtaDownload& request, const std::atomic<bool>& cancel)>;

  explicit DownloadWorker(Job job) : job_(std::move(job)) {}
  ~DownloadWorker() { stop(); }
  DownloadWorker(const DownloadWorker&) = delete;
  DownloadWorker& operator=(const DownloadWorker&) = delete;

  void request(OtaDownload download) {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      return;
    }
    if (running_cancel_) {
      running_cancel_->store(true);
    }
    next_ = std::move(download);
    if (!thread_.joinable()) {
      thread_ = std::thread([this] { loop(); });
    }
    wake_.notify_one();
  }

  void cancel() {
    std::lock_guard lock(mutex_);
    next_.reset();
    if (running_cancel_) {
      running_cancel_->store(true);
    }
  }

  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      next_.reset();
      if (running_cancel_) {
        running_cancel_->store(true);
      }
      wake_.notify_one();
    }
    if (thread_.joinable()) {
      thread_.join();
    }
  }

 private:
  void loop() {
    for (;;) {
      OtaDownload download;
      auto cancel = std::make_shared<std::atomic<bool>>(false);
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [this] { return stopping_ || next_.has_value(); });
        if (stopping_) {
          return;
        }
        download = std::move(*next_);
        next_.reset();
        running_cancel_ = cancel;
      }
      job_(download, *cancel);
      std::lock_guard lock(mutex_);
      running_cancel_.reset();
    }
  }

  Job job_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::optional<OtaDownload> next_;
  std::shared_ptr<std::atomic<bool>> running_cancel_;
  bool stopping_ = false;
  std::thread thread_;
};

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
  std::unique_ptr<DownloadWorker> downloads;  // with OTA only

  void execute() {
    bool reboot_requested = false;
    for (auto& action : actions) {
      switch (action.kind) {
        case MqttAction::Kind::subscribe:
        case MqttAction::Kind::publish:
          break;
        case MqttAction::Kind::download:
          if (downloads && action.download) {
            downloads->request(*action.download);
          }
          continue;
        case MqttAction::Kind::cancel_download:
          if (downloads) {
            downloads->cancel();
          }
          continue;
        case MqttAction::Kind::save_ota_state:
          save_ota_state(action.payload);
          continue;
        case MqttAction::Kind::reboot:
          reboot_requested = true;
          continue;
      }
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
    if (reboot_requested) {
      reboot_now("reboot (OTA)");
    }
  }

  void save_ota_state(const std::string& text) const {
    if (auto ok = write_file_atomically(options.ota.dir / kOtaStateFile, text); !ok) {
      log::error(log::Channel::agent, "OTA state not saved: {}", ok.error().context);
    }
  }

  void load_ota_state() {
    const auto path = options.ota.dir / kOtaStateFile;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      return;  // a node that never updated
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (text.str().size() > kMaxOtaStateBytes) {
      log::warn(log::Channel::agent, "OTA state ignored: {} is too large", path.string());
      return;
    }
    auto state = parse_ota_state(text.str());
    if (!state) {
      log::warn(log::Channel::agent, "OTA state ignored: {}: {}", path.string(),
                state.error().context);
      return;
    }
    session.restore_ota(*state);
  }

  // The worker thread's job: download, posting the events to the agent's thread.
  void download(const OtaDownload& request, const std::atomic<bool>& cancel) {
    const auto id = request.id;
    DownloadEvents events;
    events.on_header = [this, id](std::span<const std::uint8_t> head) {
      asio::post(io, [this, id, bytes = std::vector<std::uint8_t>(head.begin(), head.end())] {
        if (!stopped) {
          session.on_download_header(id, bytes, actions);
          execute();
        }
      });
    };
    events.on_progress = [this, id](std::uint64_t bytes) {
      asio::post(io, [this, id, bytes] {
        if (!stopped) {
          session.on_download_progress(id, bytes, actions);
          execute();
        }
      });
    };
    auto result = download_image(request, options.ota.dir / kOtaImageFile, options.ota.download,
                                 events, cancel);
    asio::post(io, [this, id, result = std::move(result)] {
      if (!stopped) {
        session.on_download_finished(id, result, actions);
        execute();
      }
    });
  }

  // A new boot (`why` is the reason handed to on_connection): the old connection goes, the session
  // starts over, a new client connects.
  void reboot_now(std::string_view why) {
    if (downloads) {
      downloads->cancel();
    }
    client->stop();
    retired.push_back(std::move(client));
    const bool installed = session.ota() != nullptr && session.ota()->state().pending_verify;
    session.reboot();
    if (installed) {
      std::error_code ec;  // the image is "flashed": the download is no longer needed
      std::filesystem::remove(options.ota.dir / kOtaImageFile, ec);
    }
    if (on_connection) {
      on_connection(false, std::string(why));
    }
    if (auto ok = connect(); !ok) {
      log::error(log::Channel::agent, "reconnect after reboot failed: {}", ok.error().context);
    }
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
  const bool ota = impl_->session.ota() != nullptr;
  if (ota) {
    if (impl_->options.ota.dir.empty()) {
      return fail(errc::invalid_argument, "OTA needs a state directory (AgentOtaOptions::dir)");
    }
    impl_->load_ota_state();
    impl_->downloads = std::make_unique<DownloadWorker>(
        [raw = impl_.get()](const OtaDownload& request, const std::atomic<bool>& cancel) {
          raw->download(request, cancel);
        });
  }
  if (auto ok = impl_->connect(); !ok) {
    return ok;
  }
  impl_->started = true;
  impl_->thread = std::thread([this] { impl_->io.run(); });
  if (ota) {
    every(impl_->options.ota.tick_period,
          [](NodeSession& session, MqttActions& out) { session.tick(out); });
  }
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
  if (impl_->downloads) {
    impl_->downloads->stop();  // its last posts are never run: the io_context has stopped
  }
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
    if (!impl_->stopped) {
      impl_->reboot_now("reboot");
    }
  });
}

std::uint64_t NodeAgent::failed_publishes() const noexcept {
  return impl_->failed_publishes.load(std::memory_order_relaxed);
}

}  // namespace stratus::agent

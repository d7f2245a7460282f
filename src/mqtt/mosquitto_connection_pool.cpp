// ConnectionPool over libmosquitto 2.0 in non-threaded mode and one epoll set.
//
// Facts about libmosquitto 2.0.x this file relies on (lib/loop.c, net_mosq.c,
// packet_mosq.c, connect.c):
// - connect_async does getaddrinfo + a non-blocking connect(), and for TLS loads
//   the CA/cert/key into a fresh SSL_CTX and calls SSL_connect once; the CONNECT
//   packet is queued and held back until the handshake is over.
// - While the handshake runs (`want_connect`), loop_read only advances it
//   (SSL_connect) and loop_write does nothing, so a writable socket must be
//   answered with loop_read. `mosquitto_want_write` stays true during the
//   handshake once a write was wanted, which would spin a level-triggered epoll:
//   we ask OpenSSL (SSL_want_write) instead until the handshake is finished.
// - A failed handshake closes the socket without on_disconnect, and
//   SSL_ERROR_SYSCALL (refused, reset, EOF) leaves it "in progress" forever: we
//   watch EPOLLERR/EPOLLHUP/EPOLLRDHUP and a connect deadline ourselves.
// - loop_read handles about one packet per call when nothing is in flight; it
//   leaves errno == EAGAIN when the socket is drained.
// - Every libmosquitto callback may run inside any call on that client (QoS 0
//   on_publish inside publish, on_disconnect inside disconnect), so a client is
//   never destroyed while one of its calls is on the stack: finished attempts
//   are reaped at depth 0.
// Each attempt uses a fresh `mosquitto` object, so one object owns at most one
// socket in its life: a closed fd is recognised by mosquitto_socket() == -1.
// A TLS connection's SSL_CTX is built once, at add(), and handed to each attempt's
// client (MOSQ_OPT_SSL_CTX): libmosquitto's own path re-reads the PEM files and builds a
// context per attempt, most of a swarm's CPU in a connect storm (detail/tls_contexts.hpp).
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <openssl/ssl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <deque>
#include <mutex>
#include <queue>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/assert.hpp"
#include "core/random.hpp"
#include "mqtt/connection_pool.hpp"
#include "mqtt/detail/mosquitto_common.hpp"
#include "mqtt/detail/tls_contexts.hpp"

namespace stratus::mqtt {
namespace {

using Clock = std::chrono::steady_clock;
using detail::lib_init_once;
using detail::to_error;
using std::chrono::milliseconds;

constexpr std::uint32_t kIndexBits = 20;
constexpr std::uint32_t kIndexMask = (1U << kIndexBits) - 1;
constexpr std::uint32_t kMaxGeneration = (1U << (32 - kIndexBits)) - 1;
constexpr std::size_t kMaxSlots = std::size_t{1} << kIndexBits;
constexpr int kMaxEvents = 256;
constexpr int kReadBudget = 64;  // packets per connection and event (fairness)
constexpr std::size_t kMaxTimersPerPoll = 4096;
constexpr milliseconds kMiscInterval{1000};  // keepalive granularity (libmosquitto counts seconds)

std::string errno_text(int e) {
  std::array<char, 128> buf{};
  return ::strerror_r(e, buf.data(), buf.size());  // GNU variant: returns the text
}

}  // namespace

struct ConnectionPool::Impl {
  enum class State : std::uint8_t {
    queued,         // waiting for an attempt slot (max_connects_in_flight)
    connecting,     // attempt in progress: TCP, TLS, CONNECT/CONNACK
    connected,      // CONNACK success
    disconnecting,  // disconnect() sent DISCONNECT, waiting for the close
    waiting,        // backoff timer running
    stopped,        // disconnect()ed or removed: no more attempts
  };

  struct Conn {
    Impl* pool = nullptr;
    ConnectionId id = 0;
    ClientOptions options;
    detail::SslCtxPtr ssl_ctx;  // built from options.tls at add(), shared by every attempt
    State state = State::queued;
    mosquitto* mosq = nullptr;  // the current attempt's client, null between attempts
    int fd = -1;                // registered with epoll, or -1
    std::uint32_t interest = 0;
    std::uint32_t attempt = 0;  // tags epoll events and timers of one attempt
    int failures = 0;           // consecutive, for backoff
    bool ended = false;         // attempt over; the client awaits reaping at depth 0
    bool removed = false;
    bool stop_after = false;  // disconnect()/remove(): no reconnect
    std::string reason;       // why the attempt ended; the first cause wins
  };

  enum class TimerKind : std::uint8_t { reconnect, connect_deadline, disconnect_deadline };
  struct Timer {
    Clock::time_point when;
    ConnectionId id;
    std::uint32_t attempt;
    TimerKind kind;
    bool operator>(const Timer& other) const { return when > other.when; }
  };

  // Counts libmosquitto calls on the stack; clients are destroyed only at 0.
  struct Depth {
    explicit Depth(Impl& p) : pool(p) { ++pool.depth_; }
    ~Depth() { --pool.depth_; }
    Depth(const Depth&) = delete;
    Depth& operator=(const Depth&) = delete;
    Impl& pool;
  };

  // A reusable string buffer; a nested user (handler inside a call) gets its own.
  struct Scratch {
    Scratch(std::string& shared, bool& busy) : busy_flag(busy) {
      if (!busy) {
        busy = true;
        owner = true;
        buf = &shared;
      } else {
        buf = &local;
      }
    }
    ~Scratch() {
      if (owner)
        busy_flag = false;
    }
    Scratch(const Scratch&) = delete;
    Scratch& operator=(const Scratch&) = delete;
    bool& busy_flag;
    bool owner = false;
    std::string local;
    std::string* buf = nullptr;
  };

  Impl(PoolOptions o, PoolHandlers h, int epfd)
      : options(o), handlers(std::move(h)), epfd_(epfd), rng_(seed(o.random_seed)) {}

  ~Impl() {
    for (auto& slot : slots_) {
      if (slot && slot->mosq != nullptr)
        mosquitto_destroy(slot->mosq);  // closes the socket; no callback runs
    }
    ::close(epfd_);
  }

  static std::uint64_t seed(std::uint64_t s) {
    if (s != 0)
      return s;
    std::uint64_t r = 0;
    random_bytes(std::as_writable_bytes(std::span(&r, 1)));
    return r;
  }

  // ---- lookup ---------------------------------------------------------------

  Conn* slot_of(ConnectionId id) const {
    const std::uint32_t index = id & kIndexMask;
    if (index >= slots_.size())
      return nullptr;
    Conn* c = slots_[index].get();
    return c != nullptr && c->id == id ? c : nullptr;
  }

  Conn* find(ConnectionId id) const {
    Conn* c = slot_of(id);
    return c != nullptr && !c->removed ? c : nullptr;
  }

  // ---- add / remove ---------------------------------------------------------

  Result<ConnectionId> add(ClientOptions o) {
    if (o.protocol_version != 4 && o.protocol_version != 5)
      return fail(errc::invalid_argument, "mqtt: protocol_version must be 4 or 5");
    if (o.host.empty() || o.port == 0)
      return fail(errc::invalid_argument, "mqtt: host and port are required");
    if (o.keepalive.count() < 5 || o.keepalive.count() > 65535)
      return fail(errc::invalid_argument, "mqtt: keepalive must be 5..65535 s");
    if (o.client_id.empty() && !o.clean_start)
      return fail(errc::invalid_argument, "mqtt: a persistent session needs a client_id");
    if (o.tls) {
      for (const std::string* file : {&o.tls->ca_file, &o.tls->cert_file, &o.tls->key_file}) {
        if (!file->empty() && ::access(file->c_str(), R_OK) != 0)
          return fail(errc::invalid_argument, "mqtt: TLS file " + *file + ": " + errno_text(errno));
      }
      if (o.tls->cert_file.empty() != o.tls->key_file.empty())
        return fail(errc::invalid_argument, "mqtt: TLS cert_file and key_file go together");
    }
    if (size_ >= options.max_connections)
      return fail(errc::resource_exhausted, "mqtt: connection pool is full (max_connections)");
    detail::SslCtxPtr ssl_ctx;
    if (o.tls) {
      auto made = tls_contexts_.make(*o.tls, o.host);
      if (!made)
        return fail(made.error());
      ssl_ctx = std::move(*made);
    }

    std::uint32_t index = 0;
    if (!free_.empty()) {
      index = free_.back();
      free_.pop_back();
    } else {
      index = static_cast<std::uint32_t>(slots_.size());
      STRATUS_ASSERT(index < kMaxSlots, "size_ bounds the slots");
      slots_.emplace_back();
      generations_.push_back(1);
    }
    auto conn = std::make_unique<Conn>();
    conn->pool = this;
    conn->id = (generations_[index] << kIndexBits) | index;
    conn->options = std::move(o);
    conn->ssl_ctx = std::move(ssl_ctx);
    conn->state = State::queued;
    const ConnectionId id = conn->id;
    slots_[index] = std::move(conn);
    ++size_;
    queue_.push_back(id);
    return id;
  }

  void free_slot(Conn& c) {
    const std::uint32_t index = c.id & kIndexMask;
    generations_[index] = generations_[index] >= kMaxGeneration ? 1 : generations_[index] + 1;
    slots_[index].reset();  // `c` dies here
    free_.push_back(index);
    --size_;
  }

  void remove(ConnectionId id) {
    Conn* c = find(id);
    if (c == nullptr)
      return;
    c->removed = true;
    c->stop_after = true;
    if (!c->ended) {
      c->ended = true;
      ended_.push_back(c->id);
      if (c->state == State::connected)
        --connected_count_;
      if (c->state == State::connecting)
        --in_flight_;
    }
    c->state = State::stopped;
    reap_if_idle();
  }

  // ---- attempts -------------------------------------------------------------

  void start_attempt(Conn& c) {
    STRATUS_ASSERT(c.mosq == nullptr, "a finished attempt is reaped before the next");
    ++c.attempt;
    c.reason.clear();
    c.ended = false;
    c.state = State::connecting;
    ++in_flight_;
    ++stats_.connect_attempts;
    timers_.push(Timer{Clock::now() + options.connect_timeout, c.id, c.attempt,
                       TimerKind::connect_deadline});

    const ClientOptions& o = c.options;
    mosquitto* m =
        mosquitto_new(o.client_id.empty() ? nullptr : o.client_id.c_str(), o.clean_start, &c);
    if (m == nullptr) {
      mark_ended(c, "mosquitto_new: " + errno_text(errno));
      return;
    }
    c.mosq = m;
    mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION,
                         o.protocol_version == 5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311);
    detail::tune_socket_options(m);
    int rc = MOSQ_ERR_SUCCESS;
    if (!o.username.empty()) {
      rc = mosquitto_username_pw_set(m, o.username.c_str(),
                                     o.password.empty() ? nullptr : o.password.c_str());
    }
    if (rc == MOSQ_ERR_SUCCESS && c.ssl_ctx) {
      rc = mosquitto_int_option(m, MOSQ_OPT_SSL_CTX_WITH_DEFAULTS, 0);  // used as built
      if (rc == MOSQ_ERR_SUCCESS)
        rc = mosquitto_void_option(m, MOSQ_OPT_SSL_CTX, c.ssl_ctx.get());  // takes a reference
    }
    if (rc == MOSQ_ERR_SUCCESS && o.will) {
      rc = mosquitto_will_set(m, o.will->topic.c_str(), static_cast<int>(o.will->payload.size()),
                              o.will->payload.data(), o.will->qos, o.will->retain);
    }
    if (rc != MOSQ_ERR_SUCCESS) {
      mark_ended(c, std::string("settings: ") + mosquitto_strerror(rc));
      return;
    }
    mosquitto_connect_v5_callback_set(m, &Impl::on_connect_cb);
    mosquitto_disconnect_v5_callback_set(m, &Impl::on_disconnect_cb);
    mosquitto_message_v5_callback_set(m, &Impl::on_message_cb);
    mosquitto_publish_v5_callback_set(m, &Impl::on_publish_cb);

    int saved_errno = 0;
    {
      Depth d(*this);
      errno = 0;
      rc = mosquitto_connect_bind_async(m, o.host.c_str(), o.port,
                                        static_cast<int>(o.keepalive.count()), nullptr);
      saved_errno = errno;
    }
    if (rc != MOSQ_ERR_SUCCESS) {
      mark_ended(c, "connect: " + (rc == MOSQ_ERR_ERRNO ? errno_text(saved_errno)
                                                        : std::string(mosquitto_strerror(rc))));
      return;
    }
    after_call(c, rc);
  }

  // The attempt is over (any cause). Bookkeeping and the handler run now; the
  // client itself is destroyed by `reap` once no libmosquitto call is on the stack.
  void mark_ended(Conn& c, std::string_view reason) {
    if (c.ended)
      return;
    c.ended = true;
    if (c.reason.empty())
      c.reason = reason;
    ended_.push_back(c.id);
    const State prev = c.state;
    bool notify = prev == State::connected || prev == State::disconnecting;
    if (prev == State::connecting) {
      --in_flight_;
      ++stats_.failed_attempts;
      ++stats_.errors;
      notify = !c.stop_after;
    } else if (prev == State::connected) {
      --connected_count_;
      ++stats_.disconnects;
    } else if (prev == State::disconnecting) {
      ++stats_.disconnects;
    }
    if (c.stop_after) {
      c.state = State::stopped;
    } else {
      c.state = State::waiting;
      schedule_reconnect(c);
    }
    if (notify && !c.removed && handlers.on_connection) {
      Depth d(*this);  // a remove() in the handler waits for the reap
      handlers.on_connection(c.id, false, c.reason);
    }
  }

  void schedule_reconnect(Conn& c) {
    c.failures = std::min(c.failures + 1, 31);
    const auto min = options.reconnect_min.count();
    const auto max = options.reconnect_max.count();
    long long base = min;
    for (int i = 1; i < c.failures && base < max; ++i)
      base *= 2;
    base = std::min<long long>(base, max);
    std::uniform_int_distribution<long long> jitter(base / 2, base);
    timers_.push(
        Timer{Clock::now() + milliseconds(jitter(rng_)), c.id, c.attempt, TimerKind::reconnect});
  }

  void reap_if_idle() {
    if (depth_ == 0)
      reap();
  }

  void reap() {
    // Destroying a client runs no callback, so the list does not grow meanwhile.
    for (const ConnectionId id : ended_) {
      Conn* c = slot_of(id);
      if (c == nullptr || !c->ended)
        continue;
      if (c->mosq != nullptr) {
        // Still open (an attempt we abandoned): take it out of epoll before the
        // close. If libmosquitto closed it, epoll forgot it already and the fd
        // number may belong to someone else now.
        if (c->fd >= 0 && mosquitto_socket(c->mosq) == c->fd)
          ::epoll_ctl(epfd_, EPOLL_CTL_DEL, c->fd, nullptr);
        mosquitto_destroy(c->mosq);
        c->mosq = nullptr;
      }
      c->fd = -1;
      c->interest = 0;
      c->ended = false;
      if (c->removed)
        free_slot(*c);
    }
    ended_.clear();
  }

  // ---- readiness ------------------------------------------------------------

  static SSL* handshaking(const Conn& c) {
    auto* ssl = static_cast<SSL*>(mosquitto_ssl_get(c.mosq));
    return ssl != nullptr && SSL_is_init_finished(ssl) == 0 ? ssl : nullptr;
  }

  static bool needs_write(const Conn& c) {
    if (SSL* ssl = handshaking(c))
      return SSL_want_write(ssl) != 0;
    return mosquitto_want_write(c.mosq);
  }

  // After any libmosquitto call on `c`: notice a socket it closed silently, and
  // keep the epoll registration in line with what the client waits for.
  void after_call(Conn& c, int rc) {
    if (c.ended || c.mosq == nullptr)
      return;
    const int s = mosquitto_socket(c.mosq);
    if (s < 0) {
      mark_ended(c, rc != MOSQ_ERR_SUCCESS ? mosquitto_strerror(rc) : "connection closed");
      return;
    }
    const std::uint32_t want = EPOLLIN | EPOLLRDHUP | (needs_write(c) ? EPOLLOUT : 0U);
    if (c.fd != s) {
      epoll_event ev{};
      ev.events = want;
      ev.data.u64 = (std::uint64_t{c.attempt} << 32) | c.id;
      if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, s, &ev) != 0) {
        mark_ended(c, "epoll: " + errno_text(errno));
        return;
      }
      c.fd = s;
      c.interest = want;
    } else if (want != c.interest) {
      epoll_event ev{};
      ev.events = want;
      ev.data.u64 = (std::uint64_t{c.attempt} << 32) | c.id;
      if (::epoll_ctl(epfd_, EPOLL_CTL_MOD, s, &ev) != 0) {
        mark_ended(c, "epoll: " + errno_text(errno));
        return;
      }
      c.interest = want;
    }
  }

  int read_some(Conn& c) {
    int rc = MOSQ_ERR_SUCCESS;
    for (int i = 0; i < kReadBudget; ++i) {
      errno = 0;
      rc = mosquitto_loop_read(c.mosq, 1);
      const int e = errno;
      if (c.ended || rc != MOSQ_ERR_SUCCESS || mosquitto_socket(c.mosq) < 0)
        break;
      if (e == EAGAIN || e == EWOULDBLOCK || handshaking(c) != nullptr)
        break;
    }
    return rc;
  }

  void handle_event(Conn& c, std::uint32_t events) {
    int rc = MOSQ_ERR_SUCCESS;
    {
      Depth d(*this);
      // A writable socket during the TLS handshake is answered by loop_read:
      // it is what calls SSL_connect while the handshake runs.
      if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP)) != 0 ||
          ((events & EPOLLOUT) != 0 && handshaking(c) != nullptr)) {
        rc = read_some(c);
      }
      if (!c.ended && (events & EPOLLOUT) != 0 && mosquitto_socket(c.mosq) >= 0 &&
          handshaking(c) == nullptr) {
        errno = 0;
        rc = mosquitto_loop_write(c.mosq, 1);
      }
    }
    if (c.ended)
      return;
    const int s = mosquitto_socket(c.mosq);
    const bool hangup = (events & (EPOLLHUP | EPOLLRDHUP)) != 0;
    if (s >= 0 && ((events & EPOLLERR) != 0 || (hangup && c.state == State::connecting))) {
      // libmosquitto did not act on it (a TLS handshake swallows socket errors
      // and EOF): give the attempt up instead of spinning on the event.
      int err = 0;
      socklen_t len = sizeof(err);
      ::getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len);
      mark_ended(c, err != 0 ? errno_text(err) : "connection closed by the broker");
      return;
    }
    after_call(c, rc);
  }

  // ---- libmosquitto callbacks (noexcept: a throwing handler terminates) ------

  static void on_connect_cb(mosquitto*, void* obj, int rc, int,
                            const mosquitto_property*) noexcept {
    auto& c = *static_cast<Conn*>(obj);
    c.pool->handle_connack(c, rc);
  }
  static void on_disconnect_cb(mosquitto*, void* obj, int rc, const mosquitto_property*) noexcept {
    auto& c = *static_cast<Conn*>(obj);
    c.pool->mark_ended(c, rc == MOSQ_ERR_SUCCESS ? "disconnected" : mosquitto_strerror(rc));
  }
  static void on_message_cb(mosquitto*, void* obj, const mosquitto_message* m,
                            const mosquitto_property*) noexcept {
    auto& c = *static_cast<Conn*>(obj);
    c.pool->handle_message(c, *m);
  }
  static void on_publish_cb(mosquitto*, void* obj, int mid, int,
                            const mosquitto_property*) noexcept {
    auto& c = *static_cast<Conn*>(obj);
    Impl& pool = *c.pool;
    if (!c.ended && !c.removed && pool.handlers.on_published) {
      Depth d(pool);
      pool.handlers.on_published(c.id, mid);
    }
  }

  void handle_connack(Conn& c, int rc) {
    if (c.ended || c.removed)
      return;
    if (rc != 0) {
      // libmosquitto closes the connection right after (on_disconnect).
      c.reason = std::string("connection refused: ") + (c.options.protocol_version == 5
                                                            ? mosquitto_reason_string(rc)
                                                            : mosquitto_connack_string(rc));
      return;
    }
    if (c.state != State::connecting)
      return;
    c.state = State::connected;
    c.failures = 0;
    --in_flight_;
    ++connected_count_;
    ++stats_.connects;
    if (handlers.on_connection) {
      Depth d(*this);
      handlers.on_connection(c.id, true, {});
    }
  }

  void handle_message(Conn& c, const mosquitto_message& m) {
    if (c.ended || c.removed)
      return;
    ++stats_.messages_received;
    if (c.options.messages_received != nullptr)
      c.options.messages_received->inc();
    if (!handlers.on_message)
      return;
    // The strings keep their capacity: no allocation per message once warm.
    Message local;
    Message* out = &local;
    if (!message_busy_) {
      message_busy_ = true;
      out = &message_;
    }
    out->topic.assign(m.topic != nullptr ? m.topic : "");
    out->payload.assign(static_cast<const char*>(m.payload),
                        static_cast<std::size_t>(std::max(m.payloadlen, 0)));
    out->qos = m.qos;
    out->retain = m.retain;
    {
      Depth d(*this);
      handlers.on_message(c.id, *out);
    }
    if (out == &message_)
      message_busy_ = false;
  }

  // ---- operations -----------------------------------------------------------

  Result<int> publish(ConnectionId id, std::string_view topic, std::string_view payload, int qos,
                      bool retain) {
    Conn* c = find(id);
    if (c == nullptr)
      return fail(errc::not_found, "mqtt: no connection " + std::to_string(id));
    if (c->state != State::connected || c->ended)
      return fail(errc::unavailable, "mqtt: not connected to the broker");
    if (qos < 0 || qos > 2 || payload.size() > static_cast<std::size_t>(INT_MAX)) {
      ++stats_.errors;
      return fail(errc::invalid_argument, "mqtt: bad QoS or payload size");
    }
    int mid = 0;
    int rc = MOSQ_ERR_SUCCESS;
    {
      Scratch topic_z(topic_buf_, topic_busy_);
      topic_z.buf->assign(topic);
      Depth d(*this);
      rc = mosquitto_publish_v5(c->mosq, &mid, topic_z.buf->c_str(),
                                static_cast<int>(payload.size()), payload.data(), qos, retain,
                                nullptr);
    }
    // `c` outlives the call: removal is deferred while depth > 0, and reaped below.
    after_call(*c, MOSQ_ERR_SUCCESS);
    Counter* sent = c->options.messages_sent;
    reap_if_idle();
    if (rc != MOSQ_ERR_SUCCESS) {
      ++stats_.errors;
      return fail(to_error(rc, "publish " + std::string(topic)));
    }
    ++stats_.publishes;
    if (sent != nullptr)
      sent->inc();
    return mid;
  }

  Result<void> subscribe(ConnectionId id, std::string_view filter, int qos) {
    Conn* c = find(id);
    if (c == nullptr)
      return fail(errc::not_found, "mqtt: no connection " + std::to_string(id));
    if (c->state != State::connected || c->ended)
      return fail(errc::unavailable, "mqtt: not connected to the broker");
    if (qos < 0 || qos > 2) {
      ++stats_.errors;
      return fail(errc::invalid_argument, "mqtt: bad QoS");
    }
    int rc = MOSQ_ERR_SUCCESS;
    {
      Scratch filter_z(topic_buf_, topic_busy_);
      filter_z.buf->assign(filter);
      Depth d(*this);
      rc = mosquitto_subscribe_v5(c->mosq, nullptr, filter_z.buf->c_str(), qos, 0, nullptr);
    }
    after_call(*c, MOSQ_ERR_SUCCESS);
    reap_if_idle();
    if (rc != MOSQ_ERR_SUCCESS) {
      ++stats_.errors;
      return fail(to_error(rc, "subscribe " + std::string(filter)));
    }
    return {};
  }

  void disconnect(ConnectionId id) {
    Conn* c = find(id);
    if (c == nullptr || c->stop_after)
      return;
    c->stop_after = true;
    switch (c->state) {
      case State::queued:
      case State::waiting:
        c->state = State::stopped;  // its queue entry or timer is skipped
        break;
      case State::connecting:
        mark_ended(*c, "disconnected");
        break;
      case State::connected: {
        --connected_count_;
        c->state = State::disconnecting;
        timers_.push(Timer{Clock::now() + options.connect_timeout, c->id, c->attempt,
                           TimerKind::disconnect_deadline});
        int rc = MOSQ_ERR_SUCCESS;
        {
          Depth d(*this);
          rc = mosquitto_disconnect_v5(c->mosq, MQTT_RC_NORMAL_DISCONNECTION, nullptr);
        }
        after_call(*c, rc);
        break;
      }
      case State::disconnecting:
      case State::stopped:
        break;
    }
    reap_if_idle();
  }

  // ---- the loop -------------------------------------------------------------

  std::size_t run_timers(Clock::time_point now) {
    std::size_t fired = 0;
    while (!timers_.empty() && timers_.top().when <= now && fired < kMaxTimersPerPoll) {
      const Timer t = timers_.top();
      timers_.pop();
      Conn* c = find(t.id);
      if (c == nullptr || c->attempt != t.attempt)
        continue;
      switch (t.kind) {
        case TimerKind::reconnect:
          if (c->state == State::waiting) {
            c->state = State::queued;
            queue_.push_back(c->id);
            ++fired;
          }
          break;
        case TimerKind::connect_deadline:
          if (c->state == State::connecting && !c->ended) {
            mark_ended(*c, "connect timeout");
            ++fired;
          }
          break;
        case TimerKind::disconnect_deadline:
          if (c->state == State::disconnecting && !c->ended) {
            mark_ended(*c, "disconnected");
            ++fired;
          }
          break;
      }
      reap_if_idle();
    }
    return fired;
  }

  void start_queued() {
    // Bounded per call even when attempts fail at once (broker down on loopback).
    const auto budget = static_cast<std::size_t>(std::max(options.max_connects_in_flight, 64));
    std::size_t started = 0;
    while (in_flight_ < options.max_connects_in_flight && !queue_.empty() && started < budget) {
      const ConnectionId id = queue_.front();
      queue_.pop_front();
      Conn* c = find(id);
      if (c == nullptr || c->state != State::queued)
        continue;
      reap();  // a client of an earlier attempt is gone before the next starts
      start_attempt(*c);
      reap();
      ++started;
    }
  }

  void misc_sweep() {
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      Conn* c = slots_[i].get();
      if (c == nullptr || c->mosq == nullptr || c->ended)
        continue;
      int rc = MOSQ_ERR_SUCCESS;
      {
        Depth d(*this);
        rc = mosquitto_loop_misc(c->mosq);  // PINGREQ when due; closes on keepalive timeout
      }
      after_call(*c, rc);
      reap_if_idle();
    }
  }

  std::size_t poll(milliseconds timeout) {
    STRATUS_ASSERT(depth_ == 0 && !in_poll_, "ConnectionPool::poll() called from a handler");
    in_poll_ = true;
    std::size_t handled = run_timers(Clock::now());
    start_queued();
    auto now = Clock::now();
    if (now >= next_misc_) {
      misc_sweep();
      next_misc_ = now + kMiscInterval;
    }

    auto wait = std::max(timeout, milliseconds(0));
    const auto until = [&](Clock::time_point t) {
      return std::chrono::ceil<milliseconds>(std::max(t - now, Clock::duration::zero()));
    };
    if (!timers_.empty())
      wait = std::min(wait, until(timers_.top().when));
    wait = std::min(wait, until(next_misc_));
    if (!queue_.empty() && in_flight_ < options.max_connects_in_flight)
      wait = milliseconds(0);  // the start budget ran out: more to start at once

    const int n = ::epoll_wait(epfd_, events_.data(), kMaxEvents,
                               static_cast<int>(std::min<long long>(wait.count(), INT_MAX)));
    for (int i = 0; i < n; ++i) {
      const std::uint64_t key = events_[static_cast<std::size_t>(i)].data.u64;
      Conn* c = find(static_cast<ConnectionId>(key & 0xffffffffU));
      // Events of an attempt that ended earlier in this batch are stale.
      if (c == nullptr || c->attempt != static_cast<std::uint32_t>(key >> 32) ||
          c->mosq == nullptr || c->ended || c->fd < 0) {
        continue;
      }
      handle_event(*c, events_[static_cast<std::size_t>(i)].events);
      reap_if_idle();
      ++handled;
    }
    handled += run_timers(Clock::now());
    in_poll_ = false;
    return handled;
  }

  PoolOptions options;
  PoolHandlers handlers;

 private:
  friend class ConnectionPool;

  int epfd_;
  std::mt19937_64 rng_;
  detail::TlsContexts tls_contexts_;  // builds each TLS connection's SSL_CTX at add()
  std::vector<std::unique_ptr<Conn>> slots_;
  std::vector<std::uint32_t> generations_;
  std::vector<std::uint32_t> free_;
  std::size_t size_ = 0;
  std::deque<ConnectionId> queue_;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;
  std::vector<ConnectionId> ended_;
  int in_flight_ = 0;
  std::size_t connected_count_ = 0;
  int depth_ = 0;
  bool in_poll_ = false;
  Clock::time_point next_misc_{};
  std::array<epoll_event, kMaxEvents> events_{};
  PoolStats stats_;
  std::string topic_buf_;
  bool topic_busy_ = false;
  Message message_;
  bool message_busy_ = false;
};

Result<std::unique_ptr<ConnectionPool>> ConnectionPool::create(PoolOptions options,
                                                               PoolHandlers handlers) {
  if (options.max_connections == 0 || options.max_connections > kMaxSlots)
    return fail(errc::invalid_argument, "mqtt: max_connections must be 1..2^20");
  if (options.max_connects_in_flight < 1)
    return fail(errc::invalid_argument, "mqtt: max_connects_in_flight must be >= 1");
  if (options.reconnect_min.count() <= 0 || options.reconnect_min > options.reconnect_max)
    return fail(errc::invalid_argument, "mqtt: need 0 < reconnect_min <= reconnect_max");
  if (options.connect_timeout.count() <= 0)
    return fail(errc::invalid_argument, "mqtt: connect_timeout must be positive");
  lib_init_once();
  const int epfd = ::epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0)
    return fail(errc::unavailable, "mqtt: epoll_create1: " + errno_text(errno));
  return std::unique_ptr<ConnectionPool>(
      new ConnectionPool(std::make_unique<Impl>(options, std::move(handlers), epfd)));
}

ConnectionPool::ConnectionPool(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ConnectionPool::~ConnectionPool() = default;

Result<ConnectionId> ConnectionPool::add(ClientOptions options) {
  return impl_->add(std::move(options));
}

Result<int> ConnectionPool::publish(ConnectionId id, std::string_view topic,
                                    std::string_view payload, int qos, bool retain) {
  return impl_->publish(id, topic, payload, qos, retain);
}

Result<void> ConnectionPool::subscribe(ConnectionId id, std::string_view filter, int qos) {
  return impl_->subscribe(id, filter, qos);
}

void ConnectionPool::disconnect(ConnectionId id) {
  impl_->disconnect(id);
}

void ConnectionPool::remove(ConnectionId id) {
  impl_->remove(id);
}

bool ConnectionPool::connected(ConnectionId id) const {
  const auto* c = impl_->find(id);
  return c != nullptr && c->state == Impl::State::connected && !c->ended;
}

std::size_t ConnectionPool::connected_count() const {
  return impl_->connected_count_;
}

std::size_t ConnectionPool::size() const {
  return impl_->size_;
}

PoolStats ConnectionPool::stats() const {
  return impl_->stats_;
}

std::size_t ConnectionPool::poll(std::chrono::milliseconds timeout) {
  return impl_->poll(timeout);
}

}  // namespace stratus::mqtt

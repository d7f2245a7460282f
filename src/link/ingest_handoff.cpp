#include "link/ingest_handoff.hpp"

#include <openssl/crypto.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/thread_name.hpp"
#include "log/log.hpp"
#include "proto/ingest_handoff.hpp"

namespace stratus::link {

using log::Channel;

namespace {

// Bytes read per recv; at most kMaxReadPerPass are read before frames are handled and
// acknowledgements sent, so a flood does not starve them.
constexpr std::size_t kReadChunk = 256 * 1024;
constexpr std::size_t kMaxReadPerPass = 4 * kReadChunk;
// Ingest queue slots left for the other sources (presence over MQTT) when the handoff
// fills it: what the handoff hands on in one pass is the room minus this.
constexpr std::size_t kRoomForOthers = 64;

bool secret_matches(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

IngestHandoffReceiver::IngestHandoffReceiver(IngestHandoffReceiverOptions options, NodeLink& link,
                                             service::NodeIngest& ingest, MetricsRegistry& metrics)
    : options_(std::move(options)),
      link_(link),
      ingest_(ingest),
      messages_(metrics.counter("stratus_handoff_messages_total",
                                "Node messages received through the ingest handoff.")),
      duplicates_(metrics.counter("stratus_handoff_duplicates_total",
                                  "Handoff messages skipped as already received (resent).")),
      connections_(metrics.counter("stratus_handoff_connections_total",
                                   "Broker plugin connections to the ingest handoff.")),
      refused_(metrics.counter("stratus_handoff_refused_total",
                               "Handoff connections closed for a bad hello or broken framing.")),
      connected_gauge_(metrics.gauge("stratus_handoff_connected",
                                     "1 while the broker plugin's handoff connection is open.")) {}

IngestHandoffReceiver::~IngestHandoffReceiver() {
  stop();
}

Result<void> IngestHandoffReceiver::start() {
  const std::string path = options_.socket_path.string();
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(address.sun_path)) {
    return fail(errc::unavailable, "ingest handoff socket path empty or longer than " +
                                       std::to_string(sizeof(address.sun_path) - 1) +
                                       " bytes: " + path);
  }
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (listen_fd_ < 0 || wake_fd_ < 0) {
    const std::string why = std::strerror(errno);
    stop();
    return fail(errc::unavailable, "ingest handoff socket: " + why);
  }
  ::unlink(path.c_str());  // a socket file left by a stratusd that did not stop
  // Owner only: a process that could connect could speak for any node (the hello's
  // secret is the second lock). chmod after bind, not umask, which is per process and
  // would race other threads' files; the data directory (0700) covers the moment between.
  if (::bind(listen_fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0 ||
      ::chmod(path.c_str(), 0600) != 0 || ::listen(listen_fd_, 4) != 0) {
    const std::string why = std::strerror(errno);
    stop();
    return fail(errc::unavailable, "ingest handoff socket " + path + ": " + why);
  }
  thread_ = std::thread([this] {
    core::name_this_thread("handoff");
    run();
  });
  log::info(Channel::link, "ingest handoff listening socket={}", path);
  return {};
}

void IngestHandoffReceiver::stop() {
  if (thread_.joinable()) {
    stopping_ = true;
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto n = ::write(wake_fd_, &one, sizeof(one));
    thread_.join();
  }
  if (conn_fd_ >= 0) {
    ::close(conn_fd_);
    conn_fd_ = -1;
  }
  connected_ = false;
  connected_gauge_.set(0);
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    listen_fd_ = -1;
    ::unlink(options_.socket_path.c_str());
  }
  if (wake_fd_ >= 0) {
    ::close(wake_fd_);
    wake_fd_ = -1;
  }
}

void IngestHandoffReceiver::run() {
  while (!stopping_) {
    // While frames wait for room in the ingest queue, the socket is not read: the plugin
    // keeps what does not fit, and nothing acknowledged to a node is dropped here.
    // (Left out of the poll altogether then: a closed peer's POLLHUP is reported whatever
    // the events asked, and would turn the wait into a busy loop.)
    pollfd fds[3] = {{wake_fd_, POLLIN, 0}, {listen_fd_, POLLIN, 0}, {conn_fd_, POLLIN, 0}};
    const nfds_t count = conn_fd_ >= 0 && !held_ ? 3 : 2;
    const int timeout = due_.empty() && ack_unsent_ == 0 && !held_
                            ? -1
                            : static_cast<int>(options_.ack_poll.count());
    if (::poll(fds, count, timeout) < 0 && errno != EINTR) {
      log::error(Channel::link, "ingest handoff poll failed: {}", std::strerror(errno));
      break;
    }
    if (stopping_)
      break;
    if ((fds[1].revents & POLLIN) != 0)
      accept_connection();
    if (held_ && conn_fd_ >= 0) {
      handle_frames();
    } else if (count == 3 && conn_fd_ >= 0 &&
               (fds[2].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      const bool open = read_connection();
      // Whole frames that arrived before the plugin closed are still handed on: nothing
      // will send them again (a mosquitto that ended is a new session).
      handle_frames();
      if (!open && conn_fd_ >= 0)
        close_connection(closed_why_.c_str());
    }
    send_acks();
  }
}

void IngestHandoffReceiver::accept_connection() {
  const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0)
    return;
  if (conn_fd_ >= 0)
    close_connection("replaced by a new connection");
  conn_fd_ = fd;
  authenticated_ = false;
  in_.clear();
  held_ = false;
  connections_.inc();
}

void IngestHandoffReceiver::close_connection(const char* why) {
  ::close(conn_fd_);
  conn_fd_ = -1;
  in_.clear();
  held_ = false;
  ack_unsent_ = 0;  // the plugin sends the unacknowledged messages again, and they are acked then
  log::warn(Channel::link, "ingest handoff connection closed: {}", why);
  authenticated_ = false;
  connected_ = false;
  connected_gauge_.set(0);
}

void IngestHandoffReceiver::refuse(const char* why) {
  refused_.inc();
  close_connection((std::string("refused: ") + why).c_str());
}

// Reads what is there (up to kMaxReadPerPass). False when the peer closed the connection
// or it failed (`closed_why_` says which); the caller hands on the whole frames read so far
// and then closes it.
bool IngestHandoffReceiver::read_connection() {
  std::size_t total = 0;
  while (total < kMaxReadPerPass) {
    read_buffer_.resize(kReadChunk);  // allocated once
    const ssize_t n = ::recv(conn_fd_, read_buffer_.data(), kReadChunk, MSG_DONTWAIT);
    if (n == 0) {
      closed_why_ = "the broker plugin closed it";
      return false;
    }
    if (n < 0) {
      if (errno == EINTR)
        continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK)
        break;
      closed_why_ = std::strerror(errno);
      return false;
    }
    in_.append(read_buffer_.data(), static_cast<std::size_t>(n));
    total += static_cast<std::size_t>(n);
  }
  return true;
}

// Hands every whole frame on. False (connection closed) on a bad hello or broken framing.
bool IngestHandoffReceiver::handle_frames() {
  std::size_t at = 0;
  bool messages = false;
  const std::size_t room = ingest_.room();
  std::size_t budget = room > kRoomForOthers ? room - kRoomForOthers : 0;
  held_ = false;
  for (;;) {
    const auto d = proto::next_handoff_frame(std::string_view(in_).substr(at));
    if (d.status == proto::HandoffDecode::Status::need_more)
      break;
    if (d.status == proto::HandoffDecode::Status::malformed) {
      refuse(d.error);
      return false;
    }
    if (authenticated_ && budget == 0) {
      held_ = true;  // the rest waits for the writer to make room
      break;
    }
    at += d.frame.size;
    if (!authenticated_) {
      const auto hello = d.frame.kind == proto::HandoffKind::hello
                             ? proto::parse_handoff_hello(d.frame.body)
                             : std::nullopt;
      if (!hello || hello->version != proto::kHandoffVersion ||
          !secret_matches(hello->secret, options_.secret)) {
        refuse("the first frame is not a hello with the backend secret");
        return false;
      }
      authenticated_ = true;
      connected_ = true;
      connected_gauge_.set(1);
      if (hello->session != session_) {
        session_ = hello->session;  // a new mosquitto: its sequences start again
        last_seq_ = 0;
        due_.clear();
      }
      log::info(Channel::link, "ingest handoff connected session={:016x} resuming_after={}",
                session_, last_seq_);
      continue;
    }
    const auto message = d.frame.kind == proto::HandoffKind::message
                             ? proto::parse_handoff_message(d.frame.body)
                             : std::nullopt;
    if (!message) {
      refuse("a frame that is not a well-formed message");
      return false;
    }
    if (message->sequence <= last_seq_) {
      --budget;
      duplicates_.inc();
      messages = true;
      continue;
    }
    message_.topic.assign(message->topic);
    message_.payload.assign(message->payload);
    if (!link_.offer(message_)) {
      // The queue filled from elsewhere too (presence comes over MQTT): this message and
      // the rest wait, unacknowledged, until the writer makes room.
      at -= d.frame.size;
      held_ = true;
      break;
    }
    --budget;
    messages = true;
    last_seq_ = message->sequence;
    messages_.inc();
  }
  in_.erase(0, at);
  if (messages)
    due_.emplace_back(ingest_.submitted_mark(), last_seq_);
  return true;
}

void IngestHandoffReceiver::send_acks() {
  std::uint64_t sequence = ack_unsent_;
  while (!due_.empty() && ingest_.processed(due_.front().first)) {
    sequence = due_.front().second;
    due_.pop_front();
  }
  if (sequence == 0 || conn_fd_ < 0 || !authenticated_)
    return;
  std::string frame;
  proto::append_handoff_ack(frame, sequence);
  const ssize_t n = ::send(conn_fd_, frame.data(), frame.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  if (n == static_cast<ssize_t>(frame.size())) {
    ack_unsent_ = 0;
  } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
    ack_unsent_ = sequence;  // cumulative: the next try sends this one or a later one
  } else {
    // A partial 13-byte write on a Unix stream socket, or an error: the framing is lost.
    close_connection(n < 0 ? std::strerror(errno) : "a partial acknowledgement");
  }
}

}  // namespace stratus::link

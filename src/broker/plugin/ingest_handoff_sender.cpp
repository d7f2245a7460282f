#include "broker/plugin/ingest_handoff_sender.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "proto/ingest_handoff.hpp"

namespace stratus::broker {

namespace {

// Largest read of acks per pump; acks are 13 bytes, so this is thousands of them.
constexpr std::size_t kReadChunk = 4096;

}  // namespace

IngestHandoffSender::IngestHandoffSender(IngestHandoffOptions options)
    : options_(std::move(options)) {}

IngestHandoffSender::~IngestHandoffSender() {
  if (fd_ >= 0)
    ::close(fd_);
}

void IngestHandoffSender::log(bool warning, const std::string& text) const {
  if (options_.log)
    options_.log(warning, text);
}

bool IngestHandoffSender::enqueue(std::string_view topic, std::string_view payload) {
  const std::size_t frame = proto::kHandoffHeaderBytes + 10 + topic.size() + payload.size();
  if (unacknowledged_bytes() + frame > options_.max_pending_bytes ||
      !proto::append_handoff_message(buf_, next_seq_, topic, payload)) {
    ++dropped_;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_drop_log_ >= std::chrono::seconds(10)) {
      last_drop_log_ = now;
      log(true, "ingest handoff: dropping node messages (" + std::to_string(dropped_) +
                    " so far): " + std::to_string(unacknowledged_bytes()) +
                    " bytes wait for stratusd");
    }
    return false;
  }
  ++next_seq_;
  if (fd_ >= 0 && buf_.size() - sent_ >= options_.write_threshold_bytes)
    write_pending();
  return true;
}

void IngestHandoffSender::pump(std::chrono::steady_clock::time_point now) {
  if (fd_ < 0)
    try_connect(now);
  if (fd_ >= 0 && !read_acks())
    return;
  if (fd_ >= 0) {
    write_pending();
    drop_acknowledged();  // frames acknowledged ahead of their resend, now sent whole
  }
  compact();
}

void IngestHandoffSender::try_connect(std::chrono::steady_clock::time_point now) {
  if (now < next_attempt_)
    return;
  next_attempt_ = now + options_.reconnect_interval;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (options_.socket_path.size() >= sizeof(address.sun_path)) {
    if (!refused_logged_)
      log(true, "ingest handoff: socket path too long: " + options_.socket_path);
    refused_logged_ = true;
    return;
  }
  std::memcpy(address.sun_path, options_.socket_path.c_str(), options_.socket_path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    // stratusd not listening yet (starting, restarting): messages wait in the buffer.
    if (!refused_logged_) {
      log(false, "ingest handoff: waiting for stratusd at " + options_.socket_path + ": " +
                     std::strerror(errno));
    }
    refused_logged_ = true;
    ::close(fd);
    return;
  }
  fd_ = fd;
  refused_logged_ = false;
  hello_.clear();
  proto::append_handoff_hello(hello_, options_.session, options_.secret);
  sent_ = head_;  // everything unacknowledged goes again
  // Except frames acknowledged while they were still being sent on the last connection:
  // committed, and the new connection starts on a frame's boundary.
  while (head_ < buf_.size() && head_seq_ <= acked_through_) {
    head_ += proto::next_handoff_frame(std::string_view(buf_).substr(head_)).frame.size;
    ++head_seq_;
  }
  sent_ = head_;
  in_.clear();
  log(false, "ingest handoff: connected to stratusd; " + std::to_string(unacknowledged_bytes()) +
                 " bytes to send");
}

void IngestHandoffSender::close_connection(const std::string& why) {
  ::close(fd_);
  fd_ = -1;
  sent_ = head_;
  in_.clear();
  log(true, "ingest handoff: connection to stratusd closed: " + why);
}

bool IngestHandoffSender::read_acks() {
  char chunk[kReadChunk];
  for (;;) {
    const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), MSG_DONTWAIT);
    if (n == 0) {
      close_connection("stratusd closed it");
      return false;
    }
    if (n < 0) {
      if (errno == EINTR)
        continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK)
        break;
      close_connection(std::strerror(errno));
      return false;
    }
    in_.append(chunk, static_cast<std::size_t>(n));
  }
  std::size_t at = 0;
  for (;;) {
    const auto d = proto::next_handoff_frame(std::string_view(in_).substr(at));
    if (d.status == proto::HandoffDecode::Status::need_more)
      break;
    const auto sequence =
        d.status == proto::HandoffDecode::Status::frame && d.frame.kind == proto::HandoffKind::ack
            ? proto::parse_handoff_ack(d.frame.body)
            : std::nullopt;
    // Only acks come this way, and never for a message not enqueued yet.
    if (!sequence || *sequence >= next_seq_) {
      close_connection("unexpected frame from stratusd");
      return false;
    }
    acknowledge(*sequence);
    at += d.frame.size;
  }
  in_.erase(0, at);
  return true;
}

void IngestHandoffSender::acknowledge(std::uint64_t sequence) {
  acked_through_ = std::max(acked_through_, sequence);
  drop_acknowledged();
}

void IngestHandoffSender::drop_acknowledged() {
  while (head_ < sent_ && head_seq_ <= acked_through_) {
    const auto d = proto::next_handoff_frame(std::string_view(buf_).substr(head_));
    // Our own frames: always whole and well formed. One sent in part stays until the
    // rest has gone: dropping it would cut the stream's framing (and the rest of it).
    if (head_ + d.frame.size > sent_)
      break;
    head_ += d.frame.size;
    ++head_seq_;
  }
}

// Sends from `data` what the socket takes: the bytes sent, or -1 when the connection was
// closed on an error.
ssize_t IngestHandoffSender::send_some(const char* data, std::size_t size) {
  for (;;) {
    const ssize_t n = ::send(fd_, data, size, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n >= 0)
      return n;
    if (errno == EINTR)
      continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
      return 0;
    close_connection(std::strerror(errno));
    return -1;
  }
}

void IngestHandoffSender::write_pending() {
  while (!hello_.empty()) {
    const ssize_t n = send_some(hello_.data(), hello_.size());
    if (n <= 0)
      return;
    hello_.erase(0, static_cast<std::size_t>(n));
  }
  while (sent_ < buf_.size()) {
    const ssize_t n = send_some(buf_.data() + sent_, buf_.size() - sent_);
    if (n <= 0)
      return;
    sent_ += static_cast<std::size_t>(n);
  }
}

void IngestHandoffSender::compact() {
  // Drop the acknowledged prefix once it is most of the buffer (amortized O(1) per byte).
  if (head_ == buf_.size()) {
    buf_.clear();
    sent_ = head_ = 0;
  } else if (head_ >= (std::size_t{1} << 20) && head_ * 2 >= buf_.size()) {
    buf_.erase(0, head_);
    sent_ -= head_;
    head_ = 0;
  }
}

}  // namespace stratus::broker

// Proves that the SMTP mailer sends the right envelope and an RFC 5322 message with
// CRLF lines, and maps refusals and dead servers to errc::unavailable without the
// password. How: a minimal SMTP server on a loopback thread (port 0, bounded waits).
#include "mail/smtp_mailer.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace stratus::mail {
namespace {

using namespace std::chrono_literals;

// Tue, 2024-01-02 03:04:05 UTC.
const auto kStart = std::chrono::sys_days{std::chrono::year{2024} / 1 / 2} + 3h + 4min + 5s;
constexpr int kWaitMs = 5000;  // every accept/read waits at most this long
const std::string kPassword = "pw-s3cret-xyz";

// What the server saw in one session.
struct Session {
  std::vector<std::string> commands;  // every command line, in order
  std::string mail_from;              // the MAIL FROM argument
  std::vector<std::string> rcpt_to;   // the RCPT TO arguments
  std::string data;                   // DATA content, dot-unstuffed, lines CRLF-joined
};

// A listening socket on 127.0.0.1:0, closed on destruction.
class Listener {
 public:
  Listener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    socklen_t len = sizeof addr;
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len), 0);
    EXPECT_EQ(::listen(fd_, 4), 0);
    EXPECT_EQ(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    port_ = ntohs(addr.sin_port);
  }
  ~Listener() { close(); }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  void close() {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = -1;
  }
  [[nodiscard]] int fd() const { return fd_; }
  [[nodiscard]] std::uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

// Serves one SMTP session (RFC 5321 §4.1 subset) on a thread; `rcpt_reply` is the
// answer to RCPT TO.
class FakeSmtpServer {
 public:
  explicit FakeSmtpServer(std::string rcpt_reply = "250 2.1.5 OK")
      : rcpt_reply_(std::move(rcpt_reply)), thread_([this] { serve(); }) {}
  ~FakeSmtpServer() {
    if (thread_.joinable())
      thread_.join();
  }
  FakeSmtpServer(const FakeSmtpServer&) = delete;
  FakeSmtpServer& operator=(const FakeSmtpServer&) = delete;

  [[nodiscard]] std::string url() const {
    return "smtp://127.0.0.1:" + std::to_string(listener_.port());
  }
  /// Waits for the session to end (bounded by kWaitMs per step) and returns it.
  Session finish() {
    if (thread_.joinable())
      thread_.join();
    return session_;
  }

 private:
  // One CRLF-terminated line without the CRLF; false on EOF or timeout.
  bool read_line(int fd, std::string& line) {
    for (;;) {
      if (const auto end = buffer_.find("\r\n"); end != std::string::npos) {
        line = buffer_.substr(0, end);
        buffer_.erase(0, end + 2);
        return true;
      }
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, kWaitMs) != 1)
        return false;
      char chunk[4096];
      const ssize_t n = ::read(fd, chunk, sizeof chunk);
      if (n <= 0)
        return false;
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  static void reply(int fd, const std::string& text) {
    const std::string line = text + "\r\n";
    EXPECT_EQ(::write(fd, line.data(), line.size()), static_cast<ssize_t>(line.size()));
  }

  void serve() {
    pollfd p{listener_.fd(), POLLIN, 0};
    if (::poll(&p, 1, kWaitMs) != 1)
      return;
    const int fd = ::accept4(listener_.fd(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0)
      return;
    reply(fd, "220 fake.test ESMTP");
    std::string line;
    while (read_line(fd, line)) {
      session_.commands.push_back(line);
      const std::string verb = line.substr(0, 4);
      if (verb == "EHLO" || verb == "HELO") {
        reply(fd, "250 fake.test");
      } else if (line.rfind("MAIL FROM:", 0) == 0) {
        session_.mail_from = line.substr(10);
        reply(fd, "250 2.1.0 OK");
      } else if (line.rfind("RCPT TO:", 0) == 0) {
        session_.rcpt_to.push_back(line.substr(8));
        reply(fd, rcpt_reply_);
      } else if (verb == "DATA") {
        reply(fd, "354 end with <CRLF>.<CRLF>");
        while (read_line(fd, line) && line != ".") {
          if (!line.empty() && line[0] == '.')
            line.erase(0, 1);  // §4.5.2 transparency
          session_.data += line + "\r\n";
        }
        reply(fd, "250 2.0.0 queued");
      } else if (verb == "QUIT") {
        reply(fd, "221 2.0.0 bye");
        break;
      } else {
        reply(fd, "502 5.5.1 not implemented");
      }
    }
    ::close(fd);
  }

  Listener listener_;  // before thread_: bound before the thread starts
  std::string rcpt_reply_;
  std::string buffer_;
  Session session_;
  std::thread thread_;
};

SmtpOptions options_for(std::string url) {
  SmtpOptions o;
  o.url = std::move(url);
  o.from = "Stratus <noreply@stratus.test>";
  o.username = "mailer";
  o.password = kPassword;
  o.starttls = false;  // the fake server speaks plain SMTP on loopback
  o.timeout = std::chrono::milliseconds(kWaitMs);
  return o;
}

TEST(SmtpMailer, SendsEnvelopeHeadersAndCrlfBody) {
  FakeSmtpServer server;
  ManualClock clock(kStart);
  SmtpMailer mailer(options_for(server.url()), clock);

  const auto sent =
      mailer.send({"alice@example.com", "Your code", "Code: 123456\n.dot line\r\nlast"});
  ASSERT_TRUE(sent.has_value()) << sent.error().message();
  const Session s = server.finish();

  EXPECT_EQ(s.mail_from, "<noreply@stratus.test>");
  ASSERT_EQ(s.rcpt_to.size(), 1U);
  EXPECT_EQ(s.rcpt_to[0], "<alice@example.com>");
  ASSERT_FALSE(s.commands.empty());
  EXPECT_EQ(s.commands.back(), "QUIT");

  const auto split = s.data.find("\r\n\r\n");
  ASSERT_NE(split, std::string::npos) << s.data;
  const std::string headers = s.data.substr(0, split + 2);
  const std::string body = s.data.substr(split + 4);
  EXPECT_NE(headers.find("From: Stratus <noreply@stratus.test>\r\n"), std::string::npos);
  EXPECT_NE(headers.find("To: alice@example.com\r\n"), std::string::npos);
  EXPECT_NE(headers.find("Subject: Your code\r\n"), std::string::npos);
  EXPECT_NE(headers.find("Date: Tue, 02 Jan 2024 03:04:05 +0000\r\n"), std::string::npos);
  EXPECT_NE(headers.find("Message-ID: <"), std::string::npos);
  EXPECT_NE(headers.find("@stratus.test>\r\n"), std::string::npos);
  EXPECT_NE(headers.find("MIME-Version: 1.0\r\n"), std::string::npos);
  EXPECT_NE(headers.find("Content-Type: text/plain; charset=utf-8\r\n"), std::string::npos);
  EXPECT_NE(headers.find("Content-Transfer-Encoding: 8bit\r\n"), std::string::npos);
  EXPECT_EQ(body, "Code: 123456\r\n.dot line\r\nlast\r\n");
}

TEST(SmtpMailer, EncodesNonAsciiSubject) {
  FakeSmtpServer server;
  ManualClock clock(kStart);
  SmtpMailer mailer(options_for(server.url()), clock);

  ASSERT_TRUE(mailer.send({"bob@example.com", "Grüße", "hi"}).has_value());
  EXPECT_NE(server.finish().data.find("Subject: =?UTF-8?B?R3LDvMOfZQ==?=\r\n"), std::string::npos);
}

TEST(SmtpMailer, RefusedRecipientIsUnavailableWithServerText) {
  FakeSmtpServer server("550 5.1.1 no such user here");
  ManualClock clock(kStart);
  SmtpMailer mailer(options_for(server.url()), clock);

  const auto sent = mailer.send({"ghost@example.com", "s", "b"});
  ASSERT_FALSE(sent.has_value());
  EXPECT_EQ(sent.error().code, errc::unavailable);
  EXPECT_NE(sent.error().context.find("550 5.1.1 no such user here"), std::string::npos)
      << sent.error().context;
  EXPECT_EQ(sent.error().context.find(kPassword), std::string::npos);
  EXPECT_TRUE(server.finish().data.empty());
}

TEST(SmtpMailer, UnreachableServerIsUnavailableWithoutPassword) {
  std::string url;
  {
    Listener closed;  // a port that was just free; nothing listens once closed
    url = "smtp://127.0.0.1:" + std::to_string(closed.port());
  }
  ManualClock clock(kStart);
  SmtpMailer mailer(options_for(url), clock);

  const auto sent = mailer.send({"alice@example.com", "s", "b"});
  ASSERT_FALSE(sent.has_value());
  EXPECT_EQ(sent.error().code, errc::unavailable);
  EXPECT_FALSE(sent.error().context.empty());
  EXPECT_EQ(sent.error().context.find(kPassword), std::string::npos) << sent.error().context;
}

TEST(SmtpMailer, RejectsPhoneNumbersBadAddressesAndHeaderInjection) {
  ManualClock clock(kStart);
  SmtpMailer mailer(options_for("smtp://127.0.0.1:1"), clock);  // never reached

  const auto phone = mailer.send({"+15551234567", "s", "b"});
  ASSERT_FALSE(phone.has_value());
  EXPECT_EQ(phone.error().code, errc::invalid_argument);
  EXPECT_EQ(phone.error().context, "SMTP cannot deliver to a phone number");

  for (const char* to : {"@example.com", "alice@", "a@b@c", "a b@example.com"}) {
    const auto r = mailer.send({to, "s", "b"});
    ASSERT_FALSE(r.has_value()) << to;
    EXPECT_EQ(r.error().code, errc::invalid_argument) << to;
  }
  const auto injected = mailer.send({"alice@example.com", "hi\r\nBcc: evil@example.com", "b"});
  ASSERT_FALSE(injected.has_value());
  EXPECT_EQ(injected.error().code, errc::invalid_argument);
}

}  // namespace
}  // namespace stratus::mail

#pragma once
/// @file
/// A mailer that delivers over SMTP (RFC 5321) with libcurl. libcurl stays out of
/// this header.

#include <chrono>
#include <string>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "service/mailer.hpp"

namespace stratus::mail {

/// How to reach the SMTP server. A plain aggregate; the config layer fills it.
struct SmtpOptions {
  /// "smtp://host:port" (STARTTLS or plain, see `starttls`) or "smtps://host:port"
  /// (implicit TLS). Other schemes are refused by libcurl (errc::unavailable).
  std::string url;
  /// Envelope sender and `From:` header: "noreply@example.com" or
  /// "Stratus <noreply@example.com>" (the address inside <> goes in MAIL FROM).
  std::string from;
  /// SMTP AUTH credentials; empty username = no AUTH. The password is never logged
  /// nor put into error text.
  std::string username;
  std::string password;
  /// On smtp://, require STARTTLS (fail if the server does not offer it). false
  /// sends in clear text: only for loopback test servers.
  bool starttls = true;
  /// PEM CA bundle to verify the server with; empty = the system store.
  std::string ca_file;
  /// Limit for connecting and for the whole transaction, each.
  std::chrono::milliseconds timeout{10000};
};

/// Sends each message as one SMTP transaction: MAIL FROM, one RCPT TO, DATA with
/// an RFC 5322 message (From, To, Subject, Date, Message-ID, MIME-Version,
/// Content-Type text/plain; charset=utf-8, Content-Transfer-Encoding 8bit; the
/// body's line ends normalised to CRLF; a non-ASCII subject is RFC 2047 encoded).
/// Thread-safe: each send uses its own connection; sends block up to about
/// 2 x `timeout`.
class SmtpMailer final : public service::Mailer {
 public:
  /// Keeps `options`; `clock` fills the `Date:` header and must outlive this.
  /// Initialises libcurl globally once per process (never cleaned up).
  SmtpMailer(SmtpOptions options, const Clock& clock);

  /// Delivers `message` to `message.to`.
  /// Errors: errc::invalid_argument when `to` is not an e-mail address
  /// ("SMTP cannot deliver to a phone number" when it has no '@'), or when `to`,
  /// `subject` or the configured `from` contains CR/LF (header injection);
  /// errc::unavailable when the transfer fails, with libcurl's error text and the
  /// server's last reply (e.g. "550 5.1.1 no such user"), never the password.
  Result<void> send(const service::MailMessage& message) override;

 private:
  SmtpOptions options_;
  const Clock& clock_;
};

}  // namespace stratus::mail

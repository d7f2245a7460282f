#pragma once
/// @file
/// The service layer's port for sending mail (verification codes). Adapters in
/// src/mail/ implement it: an outbox folder (default) and SMTP.

#include <string>

#include "core/error.hpp"

namespace stratus::service {

/// One plain-text message.
struct MailMessage {
  std::string to;  ///< an e-mail address or a phone number (RainMaker user names are either)
  std::string subject;
  std::string body;  ///< UTF-8 text
};

/// Sends mail. Implementations are thread-safe and may block (call them from
/// the blocking pool, never from an I/O thread).
class Mailer {
 public:
  virtual ~Mailer() = default;
  /// Delivers or durably queues `message`. Errors: errc::unavailable when the
  /// transport fails (with its text), errc::invalid_argument for a bad recipient.
  virtual Result<void> send(const MailMessage& message) = 0;
};

}  // namespace stratus::service

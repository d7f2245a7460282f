#pragma once
/// @file
/// The default mailer: writes each message as a text file into an outbox
/// folder, for an operator (or a script) to read or forward.

#include <filesystem>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "service/mailer.hpp"

namespace stratus::mail {

/// Queues messages as files `<outbox>/<yyyymmddThhmmssZ>-<8 hex>.txt` (UTC time of
/// sending, random suffix), mode 0600, each holding
///
///   To: <to>\nSubject: <subject>\nDate: <RFC 3339 UTC>\n\n<body>\n
///
/// Files appear atomically (written to a hidden `.*.tmp` file, fsync'd, then
/// renamed), so a reader listing `*.txt` never sees a half-written message.
/// Any recipient is accepted (e-mail address or phone number).
/// Thread-safe: every send works on its own files; nothing is shared but `clock`.
class OutboxMailer final : public service::Mailer {
 public:
  /// `outbox_dir` is created (mode 0700, parents as needed) on the first send if
  /// missing. `clock` names the files and fills `Date:`; it must outlive this.
  explicit OutboxMailer(std::filesystem::path outbox_dir, const Clock& clock);

  /// Writes `message` to a new file and logs `mail queued to outbox file= to=`
  /// (never the body, which may hold a secret code).
  /// Errors: errc::invalid_argument when `to` or `subject` contains CR/LF (header
  /// injection; nothing is written); errc::unavailable when the directory or file
  /// cannot be created or written (with the OS error text).
  Result<void> send(const service::MailMessage& message) override;

 private:
  std::filesystem::path dir_;
  const Clock& clock_;
};

}  // namespace stratus::mail

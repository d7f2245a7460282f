#pragma once
/// @file
/// How a console command prints (console/commands.hpp): text lines as it goes, or, in JSON
/// mode, one object when it ends. Internal to the console module; not thread-safe.

#include <boost/json.hpp>
#include <ostream>
#include <string>

#include "console/commands.hpp"

namespace stratus::console {

/// Text lines, or one JSON object `{"command", "ok", "error"?, …fields}` printed by
/// `finish`.
class Console::Output {
 public:
  Output(bool json_mode, std::ostream& out, std::string command)
      : json_(json_mode), out_(out), command_(std::move(command)) {}
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;

  /// A line of text (nothing in JSON mode).
  void line(const std::string& text) {
    if (!json_)
      out_ << text << '\n';
  }
  /// Flushes what was printed (a loop command's lines appear as they come).
  void flush() { out_.flush(); }
  /// The JSON object's fields.
  boost::json::object& fields() { return fields_; }
  /// Prints `reason` and records it as the error; returns false.
  bool fail(const std::string& reason) {
    error_ = reason;
    line(reason);
    return false;
  }
  /// Why the command failed (empty when it did not, or gave no reason).
  [[nodiscard]] const std::string& error() const noexcept { return error_; }
  /// Prints the JSON object (in JSON mode) and flushes; returns `ok`.
  bool finish(bool ok) {
    if (json_) {
      boost::json::object o{{"command", command_}, {"ok", ok}};
      if (!ok && !error_.empty())
        o["error"] = error_;
      for (auto& [k, v] : fields_)
        o[k] = std::move(v);
      out_ << boost::json::serialize(o) << '\n';
    }
    out_.flush();
    return ok;
  }

 private:
  bool json_;
  std::ostream& out_;
  std::string command_;
  std::string error_;
  boost::json::object fields_;
};

}  // namespace stratus::console

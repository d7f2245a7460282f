#pragma once
/// @file
/// The console's interactive line (issue 21 item 3; spec wirepas.md §3.1): libedit's
/// readline interface with a history file (`~/.stratus-console-history`, 1 000 lines, read
/// at start, written at exit as the original's `~/.wm-shell-history`) and TAB completion
/// of command names, argument keys (`key=`) and the ids the network map holds.
///
/// `complete` is the pure part (tested on its own); `LineEditor` wraps libedit, which keeps
/// global state: one editor per process, `read` called from one thread at a time (the
/// console's reader thread), `set_words` from any thread.

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace stratus::console {

/// What completion may offer.
struct CompletionWords {
  std::vector<std::string> commands;                                  ///< every command name
  std::map<std::string, std::vector<std::string>, std::less<>> keys;  ///< argument names by command
  std::vector<std::string> ids;  ///< gateway, sink, node and network ids
};

/// The completions of `word`, the word under the cursor, given `before`, the line before
/// it: a command name as the first word (and after `help`); otherwise `key=` for the
/// command's argument names, ids, and `key=<id>` when `word` holds a `=`; `start`/`stop`
/// after `capture`. Sorted, unique, each starting with `word`.
[[nodiscard]] std::vector<std::string> complete(const CompletionWords& words,
                                                std::string_view before, std::string_view word);

/// See the file comment.
class LineEditor {
 public:
  /// Starts libedit on the terminal and reads `history_path` (a missing file is an empty
  /// history). Only one may exist at a time.
  explicit LineEditor(std::string history_path);
  /// Writes the history (the last 1 000 lines).
  ~LineEditor();
  LineEditor(const LineEditor&) = delete;
  LineEditor& operator=(const LineEditor&) = delete;

  /// Replaces what TAB completion offers. Thread-safe.
  void set_words(CompletionWords words);
  /// Shows `prompt` and returns the line typed (added to the history unless blank or the
  /// same as the last one), nullopt at end of input (Ctrl-D).
  std::optional<std::string> read(const std::string& prompt);

  /// The completions of the current `set_words` (libedit's callback uses it).
  [[nodiscard]] std::vector<std::string> completions(std::string_view before,
                                                     std::string_view word) const;

 private:
  std::string history_path_;
  mutable std::mutex mutex_;
  CompletionWords words_;
};

/// `$HOME/.stratus-console-history`, or nullopt without `HOME`.
[[nodiscard]] std::optional<std::string> default_history_path();

}  // namespace stratus::console

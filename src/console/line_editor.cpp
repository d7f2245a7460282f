#include "console/line_editor.hpp"

#include <editline/readline.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <set>

#include "core/assert.hpp"
#include "core/strings.hpp"

namespace stratus::console {
namespace {

constexpr int kHistoryLines = 1000;

LineEditor* g_editor = nullptr;      // libedit's callbacks are plain functions
std::vector<std::string> g_matches;  // of the completion in progress (libedit's thread)

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

char* next_match(const char* /*text*/, int state) {
  static std::size_t next = 0;
  if (state == 0)
    next = 0;
  if (next >= g_matches.size())
    return nullptr;
  return ::strdup(g_matches[next++].c_str());  // libedit frees it
}

char** attempt_completion(const char* text, int start, int /*end*/) {
  ::rl_attempted_completion_over = 1;  // never fall back to file names
  if (g_editor == nullptr)
    return nullptr;
  const std::string_view line(::rl_line_buffer != nullptr ? ::rl_line_buffer : "");
  const auto before = line.substr(0, std::min(line.size(), static_cast<std::size_t>(start)));
  g_matches = g_editor->completions(before, text);
  // `key=` goes on with its value: no space after it.
  ::rl_completion_append_character =
      g_matches.size() == 1 && !g_matches.front().empty() && g_matches.front().back() == '=' ? '\0'
                                                                                             : ' ';
  if (g_matches.empty())
    return nullptr;
  return ::rl_completion_matches(text, next_match);
}

}  // namespace

std::vector<std::string> complete(const CompletionWords& words, std::string_view before,
                                  std::string_view word) {
  std::set<std::string> out;
  const auto add = [&](const std::string& candidate) {
    if (starts_with(candidate, word))
      out.insert(candidate);
  };
  const std::string_view rest = trim(before);
  const auto command = rest.substr(0, rest.find_first_of(" \t"));
  if (rest.empty() || command == "help" || command == "?") {
    if (!(command == "help" || command == "?") || rest.size() == command.size()) {
      for (const auto& c : words.commands)
        add(c);
    }
    return {out.begin(), out.end()};
  }
  if (command == "capture" && rest.size() == command.size()) {
    add("start");
    add("stop");
    return {out.begin(), out.end()};
  }
  const auto keys = words.keys.find(command);
  if (const auto eq = word.find('='); eq != std::string_view::npos) {
    const std::string key(word.substr(0, eq));
    for (const auto& id : words.ids)
      add(key + "=" + id);
    return {out.begin(), out.end()};
  }
  if (keys != words.keys.end()) {
    for (const auto& k : keys->second)
      add(k + "=");
  }
  for (const auto& id : words.ids)
    add(id);
  return {out.begin(), out.end()};
}

LineEditor::LineEditor(std::string history_path) : history_path_(std::move(history_path)) {
  STRATUS_ASSERT(g_editor == nullptr, "one LineEditor at a time");
  g_editor = this;
  ::rl_readline_name = "stratus-console";
  static char breaks[] = " \t";
  ::rl_basic_word_break_characters = breaks;
  ::rl_completer_word_break_characters = breaks;
  ::rl_attempted_completion_function = attempt_completion;
  ::using_history();
  ::stifle_history(kHistoryLines);
  if (!history_path_.empty())
    ::read_history(history_path_.c_str());  // a missing file is an empty history
}

LineEditor::~LineEditor() {
  if (!history_path_.empty())
    ::write_history(history_path_.c_str());
  ::rl_attempted_completion_function = nullptr;
  g_editor = nullptr;
}

void LineEditor::set_words(CompletionWords words) {
  const std::lock_guard lock(mutex_);
  words_ = std::move(words);
}

std::vector<std::string> LineEditor::completions(std::string_view before,
                                                 std::string_view word) const {
  const std::lock_guard lock(mutex_);
  return complete(words_, before, word);
}

std::optional<std::string> LineEditor::read(const std::string& prompt) {
  char* raw = ::readline(prompt.c_str());
  if (raw == nullptr)
    return std::nullopt;
  std::string line(raw);
  std::free(raw);  // NOLINT(cppcoreguidelines-no-malloc): libedit allocated it
  if (!trim(line).empty()) {
    const HIST_ENTRY* last =
        ::history_length > 0 ? ::history_get(::history_base + ::history_length - 1) : nullptr;
    if (last == nullptr || last->line == nullptr || line != last->line)
      ::add_history(line.c_str());
  }
  return line;
}

std::optional<std::string> default_history_path() {
  const char* home = std::getenv("HOME");  // NOLINT(concurrency-mt-unsafe): read at start
  if (home == nullptr || *home == '\0')
    return std::nullopt;
  return std::string(home) + "/.stratus-console-history";
}

}  // namespace stratus::console

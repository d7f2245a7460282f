// Fuzz target `console_command`: command lines as a user or a script types them
// (console/commands.hpp), each line of the input run in turn against a console whose
// link accepts every publish and never answers (timeouts of 0). Invariants: no crash, no
// hang; an unknown command word fails; every command prints something. Lines naming
// `record`, `playback`, `capture` or `upload` are skipped (they would write or read files
// the input names), so are `shell`/`!` (they run host commands) and `track_devices` (a
// million iterations, each printing the map, is slow, not wrong).
#include <sstream>
#include <string>

#include "console/commands.hpp"
#include "fuzz_check.hpp"

namespace {

class SilentLink : public stratus::console::Link {
 public:
  stratus::Result<void> publish(std::string_view, std::string_view, int, bool) override {
    return {};
  }
  void pump(Clock::time_point, const std::function<bool()>&) override {}
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace stratus::console;
  SilentLink link;
  std::ostringstream out;
  ConsoleOptions options;
  options.request_timeout = std::chrono::milliseconds(0);
  options.silence_timeout = std::chrono::milliseconds(0);
  Console console(link, options, out);
  auto text = stratus::fuzz::as_text(data, size);
  for (int lines = 0; lines < 16 && !text.empty(); ++lines) {
    const auto [line, rest] = stratus::fuzz::split_line(text);
    text = rest;
    // Commands that write or read files named by the input stay out of the fuzzer's reach
    // (quotes are dropped first: the console joins `"rec"ord` into one word).
    std::string plain(line);
    std::erase(plain, '"');
    bool skipped = false;
    for (const char* word :
         {"record", "playback", "capture", "upload", "shell", "!", "track_devices"})
      skipped = skipped || plain.find(word) != std::string::npos;
    if (skipped)
      continue;
    const auto before = out.str().size();
    const bool ok = console.run(line);
    const auto first = line.find_first_not_of(" \t");
    if (first != std::string_view::npos && line.substr(first).starts_with("zzz"))
      FUZZ_CHECK(!ok);
    if (first != std::string_view::npos && line[first] != '"')
      FUZZ_CHECK(out.str().size() > before);
  }
  return 0;
}

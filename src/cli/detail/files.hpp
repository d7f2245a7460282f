#pragma once
/// @file
/// Internal: private files for credentials (mode 0600, directories 0700), written
/// atomically (temp file + rename). Nobody outside src/cli includes this.

#include <filesystem>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace stratus::cli::detail {

/// Creates `dir` (and missing parents) and sets `dir` itself to mode 0700.
/// Errors: unavailable naming the directory and the OS cause.
Result<void> ensure_private_dir(const std::filesystem::path& dir);

/// Writes `content` to `path` with mode 0600 through a temp file in the same
/// directory, flushed to disk, then renamed over `path` — or, with
/// `no_replace`, linked to `path` so that an existing file is never replaced
/// (already_exists). Errors: unavailable naming the file and the OS cause.
Result<void> write_private_file(const std::filesystem::path& path, std::string_view content,
                                bool no_replace = false);

/// Reads a whole file of at most `max_bytes`. Errors: not_found "missing <path>",
/// unavailable for other OS errors, invalid_argument when it is larger.
Result<std::string> read_text_file(const std::filesystem::path& path,
                                   std::size_t max_bytes = 1024 * 1024);

}  // namespace stratus::cli::detail

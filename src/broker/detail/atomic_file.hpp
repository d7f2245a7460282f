#pragma once
/// @file
/// Replaces a file the mosquitto plugin reads, so the plugin never sees half of it.

#include <sys/types.h>

#include <filesystem>
#include <string_view>

#include "core/error.hpp"

namespace stratus::broker::detail {

/// Writes `content` to `<file>.tmp` created with `mode` (before the umask), flushes it to
/// disk and renames it over `file`. Errors: unavailable with the OS error (`file` is then
/// unchanged). Thread-safe for distinct files; writers of one file must be serialized.
Result<void> replace_file(const std::filesystem::path& file, std::string_view content, mode_t mode);

}  // namespace stratus::broker::detail

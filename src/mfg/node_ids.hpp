#pragma once
/// @file
/// Node ids for a manufacturing batch (spec rainmaker.md §7): the admin CLI's `--local`
/// ids are `shortuuid.uuid()`, a random UUID written in base 57 as 22 characters.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace stratus::mfg {

/// The shortuuid alphabet: digits and letters without the look-alikes 0, 1, I, O, l.
inline constexpr std::string_view kShortUuidAlphabet =
    "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
/// Length of a shortuuid (57^22 > 2^128).
inline constexpr std::size_t kShortUuidLength = 22;
/// Longest node id accepted from an input file (the certificate CN limit).
inline constexpr std::size_t kMaxNodeIdBytes = 64;
/// Most nodes in one batch (the admin CLI's per-run maximum).
inline constexpr std::size_t kMaxBatchNodes = 50'000;

/// A fresh node id as `shortuuid.uuid()` makes it: a version-4 UUID from the kernel's
/// CSPRNG (`core/random`) as a base-57 number, most significant digit first, left-padded
/// with '2' to 22 characters. Thread-safe.
[[nodiscard]] std::string generate_node_id();

/// `count` fresh node ids (duplicates are drawn again, though 122 random bits make them
/// practically impossible). Thread-safe.
[[nodiscard]] std::vector<std::string> generate_node_ids(std::size_t count);

/// Checks ids read from a file or a server before a batch uses them as certificate CNs,
/// file names and NVS values: each 1..64 bytes of letters, digits, '-', '_' or '.', and no
/// duplicates. Errors: `invalid_argument` naming the first bad id (and its 1-based place).
Result<void> check_node_ids(std::span<const std::string> ids);

}  // namespace stratus::mfg

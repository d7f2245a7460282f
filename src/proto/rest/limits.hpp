#pragma once
/// @file
/// The numeric limits of the RainMaker REST contract (spec rainmaker.md §4, §3.5),
/// in one place for the server that enforces them and the client that checks them
/// before sending. Header-only constants.

#include <cstddef>
#include <cstdint>

namespace stratus::proto::rest::limits {

/// Entries of one batch set, `PUT /v1/user/nodes/params` (spec §4.3).
inline constexpr std::size_t kMaxSetsPerRequest = 25;
/// Node ids of one command request, `POST /v1/user/nodes/cmd` (spec §3.5).
inline constexpr std::size_t kMaxCommandNodes = 25;
/// Largest command id (spec §3.1: 16 bits).
inline constexpr std::int64_t kMaxCommandId = 65535;
/// Largest command `data`, in bytes after base64 decoding (spec §3.5).
inline constexpr std::size_t kMaxCommandDataBytes = 64 * 1024;
/// Largest command `timeout`, in seconds (30 days; -1 means "until the node answers").
inline constexpr std::int64_t kMaxCommandTimeoutS = 2592000;
/// `num_records` of paged lists: default and largest.
inline constexpr std::size_t kDefaultPageSize = 10;
inline constexpr std::size_t kMaxPageSize = 100;
/// Tags of one node, and the size of its metadata object when serialized (spec §9.6).
inline constexpr std::size_t kMaxTags = 64;
inline constexpr std::size_t kMaxMetadataBytes = 16 * 1024;

/// `num_records` of time-series queries: default and largest (rainmaker-cloud.md §4.1).
inline constexpr std::size_t kMaxTsRecords = 200;
/// Raw time-series reads without a range cover this many past seconds (7 days, §4.1).
inline constexpr std::int64_t kDefaultRawSpanS = 7 * 86400;

/// The latest time a query parameter in Unix seconds may name: 9999-12-31T23:59:59Z (the
/// civil calendar's last year of four digits; time arithmetic stays far from overflow).
inline constexpr std::int64_t kMaxUnixSeconds = 253402300799;

/// Node ids of one `POST /v1/admin/node_ids` request (the admin CLI's per-run maximum).
inline constexpr std::int64_t kMaxNodeIdsPerRequest = 50'000;

}  // namespace stratus::proto::rest::limits

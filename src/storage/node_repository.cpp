#include "storage/node_repository.hpp"

namespace stratus::storage {

Result<void> NodeWriter::ensure_nodes(std::span<const std::string> node_ids, std::int64_t now_at) {
  for (const auto& node_id : node_ids) {
    if (auto r = ensure_node(node_id, now_at); !r)
      return r;
  }
  return {};
}

Result<std::vector<NodeBatchRow>> NodeWriter::read_batch(std::span<const std::string> node_ids) {
  std::vector<NodeBatchRow> rows;
  rows.reserve(node_ids.size());
  for (const auto& node_id : node_ids) {
    auto stored = params(node_id);
    if (!stored)
      return fail(stored.error());
    auto ts = time_series_params(node_id);
    if (!ts)
      return fail(ts.error());
    rows.push_back({node_id, std::move(*stored), std::move(*ts), {}});
  }
  return rows;
}

Result<std::vector<NodeBatchRow>> NodeWriter::ensure_and_read(std::span<const std::string> node_ids,
                                                              std::int64_t now_at) {
  if (auto r = ensure_nodes(node_ids, now_at); !r)
    return fail(r.error());
  return read_batch(node_ids);
}

Result<std::vector<ParamsWritten>> NodeWriter::put_params_many(
    std::span<const ParamsWrite> writes) {
  std::vector<ParamsWritten> written;
  written.reserve(writes.size());
  for (const auto& w : writes) {
    if (auto r = put_params(w.node_id, w.json, w.ms); !r)
      return fail(r.error());
    written.push_back({w.node_id, {}});
  }
  return written;
}

Result<std::vector<std::string>> NodeWriter::with_desired(std::span<const std::string> node_ids) {
  return std::vector<std::string>(node_ids.begin(), node_ids.end());
}

std::optional<std::string_view> common_version(std::span<const ParamsWritten> written,
                                               std::size_t expected) {
  if (written.empty() || written.size() != expected)
    return std::nullopt;
  const std::string_view version = written.front().version;
  if (version.empty())
    return std::nullopt;
  for (const auto& row : written) {
    if (row.version != version)
      return std::nullopt;
  }
  return version;
}

}  // namespace stratus::storage

#pragma once
/// @file
/// Internal to src/api: a stored node with the caller's relation as the `node_details`
/// entry of the REST contract (spec rainmaker.md §4.4). Used by the node and group routes.

#include "proto/rest/nodes.hpp"
#include "service/node_service.hpp"  // storage::UserNode

namespace stratus::api::detail {

/// The details entry of `node` as its user sees it (role, sub_role, mapping time, tags,
/// metadata, config and params as stored). Pure; thread-safe.
[[nodiscard]] proto::rest::NodeDetails node_details(const storage::UserNode& node);

}  // namespace stratus::api::detail

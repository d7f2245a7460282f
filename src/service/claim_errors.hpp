#pragma once
/// @file
/// Error codes of the claiming service (spec rainmaker.md §6). Espressif's
/// claiming OpenAPI description documents no error codes (its failure shape is
/// `{status, description}` only), so these are Stratus's own, in a range of
/// their own (150001–150099) that no RainMaker REST code uses. They travel in
/// `Error::reason`; the REST layer sends them as `error_code`. Stable: never
/// renumber, only add.

namespace stratus::service::claim_error {

/// `mac_addr` missing or not 12 hex digits (separators ':' and '-' allowed). 400.
inline constexpr int mac_invalid = 150001;
/// `platform` missing, empty, longer than 32 bytes or not [A-Za-z0-9._-]. 400.
inline constexpr int platform_invalid = 150002;
/// `csr` missing or empty. 400.
inline constexpr int csr_missing = 150003;
/// The CSR does not parse, is larger than 16 KiB, its self-signature does not
/// verify, or its key is not ECDSA P-256 / RSA 2048–4096. 400.
inline constexpr int csr_invalid = 150004;
/// User claiming: the CSR's CN (the node id) is not one this user initiated. 404.
inline constexpr int claim_not_found = 150005;
/// The CSR's CN is not the node id being claimed (user: the `node_id` field;
/// self: the MAC address). 400.
inline constexpr int cn_mismatch = 150006;
/// The user already holds `claiming.max_nodes_per_user` node ids. 429.
inline constexpr int node_limit = 150007;
/// Self claiming (no user token) is off: `claiming.self_claim = deny`. 403.
inline constexpr int self_claim_disabled = 150008;
/// Self claiming with `claiming.self_claim = allowlist`, and the MAC matches
/// no entry of the allow-list. 403.
inline constexpr int mac_not_allowed = 150009;
/// Self claiming: `auth_id` or `challenge_response` missing or malformed. 400.
inline constexpr int challenge_response_missing = 150010;
/// Self claiming: the `auth_id` is unknown, expired or already used. 403.
inline constexpr int challenge_invalid = 150011;
/// `claim/verify?matter=true`: Matter device certificates are not issued. 400.
inline constexpr int matter_unsupported = 150012;
/// User claiming: the node id already has a primary user who is not the caller, so
/// the caller may not get a new certificate for it (only its current primary user
/// may, or anyone after an admin unclaims it). 403.
inline constexpr int reissue_forbidden = 150013;
/// Self claiming: the node id already holds a valid certificate; a self-claim
/// cannot replace it (its current primary user can, by user claiming). 403.
inline constexpr int already_certified = 150014;

}  // namespace stratus::service::claim_error

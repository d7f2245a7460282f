#pragma once
/// @file
/// The RainMaker REST error codes: the one table of every `error_code` Stratus sends
/// in the failure shape `{"status":"failure","error_code":N,"description":"…"}`
/// (spec rainmaker.md §4.1; rainmaker-cloud.md, error codes).
///
/// Each row names a code once. The row expands to a named constant in its area's
/// namespace (`proto::rest::node_error::node_not_found == 108005`) and to an entry of
/// `error_code_table()`, from which docs/api.md's table is checked by a unit test.
/// Nowhere else in `src/` does a RainMaker code appear as a number: services put the
/// constant in `Error::reason`, the REST layer sends it, the client reads it back.
///
/// Codes come from Espressif's published API description where one exists. The
/// 1004xx/1005xx codes of the HTTP layer, 100401, and the 150xxx (claiming) and
/// 151xxx (challenge mapping) ranges are Stratus's own, chosen where no RainMaker
/// code is used. Stable: never renumber, only add.
///
/// Header-only constants (the http layer and the broker-free tools use them without
/// linking `proto`); the table itself is in error_codes.cpp. Pure; thread-safe.

#include <optional>
#include <span>
#include <string_view>

// X(area, name, code, http, description): `http` is the status(es) the code is sent
// with, as docs/api.md prints it ("404", "400 (207 entry)").
#define STRATUS_REST_ERROR_CODES(X)                                                                \
  /* --- any route ------------------------------------------------------------------ */           \
  X(request_error, not_authorized, 100004, "403", "not authorized (a super-admin route)")          \
  X(request_error, invalid_request_body, 100006, "400",                                            \
    "invalid request body (malformed JSON, wrong type; the description names the field)")          \
  X(request_error, conflict, 100409, "409", "the request conflicts with the current state")        \
  X(request_error, rate_limited, 100429, "429", "too many requests")                               \
  /* --- the HTTP layer (http::Server) ---------------------------------------------- */           \
  X(http_error, malformed_request, 100400, "400", "malformed HTTP request")                        \
  X(http_error, unknown_route, 100404, "404", "unknown route")                                     \
  X(http_error, method_not_allowed, 100405, "405", "method not allowed (with `Allow`)")            \
  X(http_error, request_timeout, 100408, "503",                                                    \
    "the request took longer than `http.request_timeout_ms`")                                      \
  X(http_error, body_too_large, 100413, "413", "body larger than `http.max_body_bytes`")           \
  X(http_error, upgrade_required, 100426, "426",                                                   \
    "a WebSocket route was asked without a WebSocket upgrade")                                     \
  X(http_error, headers_too_large, 100431, "431", "headers larger than `http.max_header_bytes`")   \
  X(http_error, internal_error, 100500, "500", "internal error (details in the server log)")       \
  X(http_error, server_busy, 100503, "503",                                                        \
    "server busy (connection limit) or a dependency is down")                                      \
  /* --- accounts and tokens -------------------------------------------------------- */           \
  X(account_error, access_token_missing, 100046, "401", "access token is missing")                 \
  X(account_error, logged_out, 100047, "401", "logged out (the token's session was revoked)")      \
  X(account_error, code_expired, 100068, "400", "the verification code has expired")               \
  X(account_error, access_token_invalid, 100401, "401",                                            \
    "access token invalid or expired (bad signature, `alg` other than HS256, expired, not an "     \
    "access token)")                                                                               \
  X(account_error, user_name_missing, 101001, "400", "user name is missing")                       \
  X(account_error, email_invalid, 101002, "400", "e-mail address is not in a correct format")      \
  X(account_error, password_or_code_missing, 101003, "400",                                        \
    "password or verification code is missing (signup)")                                           \
  X(account_error, password_policy, 101004, "400", "password does not meet the policy")            \
  X(account_error, sending_code_failed, 101005, "503", "sending the verification code failed")     \
  X(account_error, user_exists, 101006, "409", "user account already exists")                      \
  X(account_error, wrong_old_password, 101007, "401", "the (old) password entered is incorrect")   \
  X(account_error, wrong_credentials, 101009, "401", "incorrect user name or password")            \
  X(account_error, already_verified, 101011, "409", "user name is already verified")               \
  X(account_error, code_incorrect, 101012, "400", "verification code is incorrect")                \
  X(account_error, not_verified, 101015, "403", "account is not verified")                         \
  X(account_error, refresh_failed, 101017, "401",                                                  \
    "refresh token invalid, expired, logged out or replayed")                                      \
  X(account_error, new_password_missing, 101018, "400", "new password is missing")                 \
  X(account_error, address_rate_limited, 101019, "429",                                            \
    "too many failed attempts from this client address")                                           \
  X(account_error, user_not_found, 101025, "404", "user does not exist")                           \
  X(account_error, code_missing, 101030, "400", "verification code is missing (forgot password)")  \
  X(account_error, password_missing, 101032, "400", "password is missing")                         \
  X(account_error, logout_all_invalid, 101036, "400", "invalid `logout_all` value")                \
  X(account_error, phone_invalid, 101037, "400", "invalid phone number")                           \
  X(account_error, user_rate_limited, 101057, "429",                                               \
    "too many attempts for this user (failed logins, codes requested, wrong codes)")               \
  X(account_error, delete_code_incorrect, 119005, "400",                                           \
    "account deletion: verification code is incorrect")                                            \
  X(account_error, delete_code_missing, 119007, "400",                                             \
    "account deletion: verification code is missing")                                              \
  X(account_error, sending_delete_code_failed, 119008, "503",                                      \
    "account deletion: sending the code failed")                                                   \
  X(account_error, delete_code_not_requested, 119015, "400",                                       \
    "account deletion: no delete request exists")                                                  \
  X(account_error, delete_attempts_exceeded, 119016, "429",                                        \
    "account deletion: too many wrong codes, request again")                                       \
  X(account_error, super_admin_deletion, 119017, "403",                                            \
    "super-admin accounts cannot delete themselves")                                               \
  /* --- nodes, params, mapping ------------------------------------------------------ */          \
  X(node_error, no_params, 102006, "404", "the node has not reported its params yet")              \
  X(node_error, node_not_found, 108005, "404 (207 entry)",                                         \
    "node not found (unknown, or not the caller's)")                                               \
  X(node_error, invalid_params, 108019, "400 (207 entry)",                                         \
    "the set fails validation against the node config")                                            \
  X(node_error, no_config, 108020, "404", "the node has not reported its config yet")              \
  X(mapping_error, timed_out, 103011, "409", "challenge mapping: the request timed out")           \
  X(mapping_error, request_not_found, 103018, "404",                                               \
    "mapping request not found (unknown, or another user's)")                                      \
  X(mapping_error, invalid_response, 103031, "400",                                                \
    "challenge mapping: the response is not a valid signature of the challenge")                   \
  X(mapping_error, request_id_missing, 151001, "400", "challenge mapping: `request_id` missing")   \
  X(mapping_error, node_id_invalid, 151002, "400",                                                 \
    "challenge mapping: `node_id` missing, empty, longer than 64 bytes or with control "           \
    "characters")                                                                                  \
  X(mapping_error, response_missing, 151003, "400",                                                \
    "challenge mapping: `challenge_response` missing")                                             \
  X(mapping_error, timeout_invalid, 151004, "400",                                                 \
    "challenge mapping: `timeout` not a whole number of seconds in the allowed range")             \
  X(mapping_error, no_certificate, 151005, "404",                                                  \
    "challenge mapping: this cloud issued no certificate for the node, so there is no key to "     \
    "check")                                                                                       \
  X(mapping_error, request_used, 151006, "409",                                                    \
    "challenge mapping: the request id was already used (one verify each)")                        \
  /* --- sharing and groups (rainmaker-cloud.md §1, §2) ----------------------------- */         \
  X(sharing_error, user_name_missing, 107002, "400", "sharing: `user_name` missing")               \
  X(sharing_error, self_sharing, 107003, "400", "sharing: a user cannot share with themselves")    \
  X(sharing_error, user_not_found, 107007, "404", "sharing: no user has that user name")           \
  X(sharing_error, accept_invalid, 107017, "400",                                                  \
    "sharing: `accept` (or `confirm_sharing`) missing")                                            \
  X(sharing_error, primary_user_invalid, 107019, "400",                                            \
    "sharing: `primary_user` not true or false")                                                   \
  X(sharing_error, request_id_missing, 107021, "400", "sharing: `request_id` missing")             \
  X(sharing_error, too_many_nodes, 107022, "400", "sharing: more than 100 nodes")                  \
  X(sharing_error, request_handled, 107023, "409",                                                 \
    "sharing: the request was already accepted, cancelled or has expired, or the sender no "       \
    "longer holds the nodes")                                                                      \
  X(sharing_error, nodes_missing, 107024, "400", "sharing: `nodes` missing or empty")              \
  X(sharing_error, request_declined, 107025, "409", "sharing: the request was declined")           \
  X(sharing_error, request_not_found, 107026, "404",                                               \
    "sharing: request not found (unknown, or not the caller's to see)")                            \
  X(sharing_error, not_primary, 107027, "403",                                                     \
    "sharing: the caller is not a primary user of every node")                                     \
  X(sharing_error, group_derived, 107028, "409",                                                   \
    "sharing: that access comes from a shared group; change the group share instead")              \
  X(sharing_error, new_role_invalid, 107033, "400", "sharing: `new_role` is not `secondary`")      \
  X(sharing_error, new_role_without_transfer, 107035, "400",                                       \
    "sharing: `new_role` given without `transfer`")                                                \
  X(sharing_error, sub_role_invalid, 107040, "400", "sharing: `sub_role` not 1–4")                 \
  X(group_error, name_missing, 108001, "400", "group: `group_name` missing")                       \
  X(group_error, name_invalid, 108002, "400",                                                      \
    "group: `group_name` empty, over 256 characters, with leading or trailing blanks or with "     \
    "`#`, `$` or `|`")                                                                             \
  X(group_error, too_many_nodes, 108003, "400", "group: more than 100 nodes in one request")       \
  X(group_error, name_exists, 108007, "409",                                                       \
    "group: the caller already has a root group of that name")                                     \
  X(group_error, parent_invalid, 108009, "404",                                                    \
    "group: `parent_group_id` is not a group the caller may change")                               \
  X(group_error, too_deep, 108011, "400",                                                          \
    "group: sub-groups nest at most `groups.max_depth` levels")                                    \
  X(group_error, nodes_not_mapped, 108013, "404",                                                  \
    "group: a node is not one the caller may access")                                              \
  X(group_error, nodes_not_in_parent, 108015, "400",                                               \
    "group: a sub-group's nodes must be in its parent group")                                      \
  X(group_error, group_id_missing, 108016, "400", "group: `group_id` missing")                     \
  X(group_error, operation_invalid, 108017, "400",                                                 \
    "group: `operation` is not `add` or `remove`, or `nodes` comes without it")                    \
  X(group_error, group_not_found, 108023, "404",                                                   \
    "group: no such group (unknown, or not the caller's)")                                         \
  X(group_error, nothing_to_update, 108024, "400", "group: the update names no field")             \
  X(group_error, description_too_long, 108025, "400", "group: `description` over 500 characters")  \
  X(group_error, request_id_missing, 108035, "400", "group sharing: `request_id` missing")         \
  X(group_error, too_many_groups, 108036, "400", "group sharing: more than 10 groups")             \
  X(group_error, request_handled, 108037, "409",                                                   \
    "group sharing: the request was already accepted, cancelled or has expired, or the sender no " \
    "longer owns the groups")                                                                      \
  X(group_error, groups_missing, 108038, "400", "group sharing: `groups` missing or empty")        \
  X(group_error, request_declined, 108039, "409", "group sharing: the request was declined")       \
  X(group_error, request_not_found, 108040, "404",                                                 \
    "group sharing: request not found (unknown, or not the caller's to see)")                      \
  X(group_error, not_primary, 108041, "403",                                                       \
    "group: the caller is not a primary user of the group")                                        \
  X(group_error, user_name_missing, 108045, "400", "group sharing: `user_name` missing")           \
  X(group_error, self_sharing, 108046, "400",                                                      \
    "group sharing: a user cannot share with themselves")                                          \
  X(group_error, user_not_found, 108050, "404", "group sharing: no user has that user name")       \
  X(group_error, accept_invalid, 108054, "400", "group sharing: `accept` missing")                 \
  X(group_error, shared_via_parent, 108055, "409",                                                 \
    "group sharing: that access comes from a parent group; change the parent's share instead")     \
  X(group_error, primary_user_invalid, 108033, "400",                                              \
    "group sharing: `primary_user` not true or false")                                             \
  X(group_error, too_many_sub_groups, 108073, "400", "group: a group has at most 100 sub-groups")  \
  X(group_error, new_role_invalid, 108138, "400",                                                  \
    "group sharing: `new_role` not `secondary`, or given without `transfer`")                      \
  X(group_error, sub_role_invalid, 108140, "400", "group sharing: `sub_role` not 1–4")             \
  X(group_error, sole_primary, 108142, "409",                                                      \
    "group: the only primary user cannot leave; delete the group or add a primary first")          \
  /* --- command-response (spec §3.5) ------------------------------------------------ */         \
  X(command_error, node_ids_missing, 131102, "400", "command: `node_ids` missing or empty")        \
  X(command_error, too_many_nodes, 131103, "400", "command: more than 25 node ids")                \
  X(command_error, duplicate_node_ids, 131104, "400",                                              \
    "command: a node id appears twice (Stratus)")                                                  \
  X(command_error, invalid_cmd, 131107, "400", "command: `cmd` missing or not 0–65535")            \
  X(command_error, invalid_data, 131108, "400", "command: `data` of a wrong type (Stratus)")       \
  X(command_error, invalid_base64, 131109, "400",                                                  \
    "command: `data` is not base64 although `is_base64` (Stratus)")                                \
  X(command_error, data_too_large, 131111, "400", "command: `data` larger than 64 KiB")            \
  X(command_error, node_offline, 131112, "207 entry",                                              \
    "command: node offline; stored, sent when it connects")                                        \
  X(command_error, not_supported, 131113, "400 (207 entry)",                                       \
    "command: the node does not support cmd-resp (no `cmd-resp` attribute)")                       \
  X(command_error, invalid_timeout, 131115, "400", "command: `timeout` not 1–2592000 or -1")       \
  X(command_error, request_not_found, 131116, "404",                                               \
    "command: request not found (unknown, or another user's) (Stratus)")                           \
  X(command_error, not_pending, 131117, "409", "command: nothing left to cancel (Stratus)")        \
  /* --- time series (rainmaker-cloud.md §4; docs/adr/0011) ----------------------- */            \
  X(tsdata_error, node_id_missing, 126003, "400", "time series: `node_id` missing")                \
  X(tsdata_error, param_name_missing, 126004, "400", "time series: `param_name` missing")          \
  X(tsdata_error, aggregate_invalid, 126005, "400",                                                \
    "time series: `aggregate` not raw, latest, min, max, avg, sum or count")                       \
  X(tsdata_error, interval_invalid, 126006, "400",                                                 \
    "time series: `aggregation_interval` not minute, hour, day, week, month or year, missing "     \
    "for an aggregate, or given with raw")                                                         \
  X(tsdata_error, week_start_invalid, 126007, "400",                                               \
    "time series: `week_start` not a day name (Monday…Sunday)")                                    \
  X(tsdata_error, time_missing, 126008, "400",                                                     \
    "time series: `start_time` or `end_time` missing (one given without the other)")               \
  X(tsdata_error, num_intervals_invalid, 126009, "400",                                            \
    "time series: `num_intervals` not a positive integer within the interval's maximum span, "     \
    "or given with `start_time`/`end_time`")                                                       \
  X(tsdata_error, start_invalid, 126010, "400",                                                    \
    "time series: `start_time` not a non-negative integer (Unix seconds)")                         \
  X(tsdata_error, end_invalid, 126011, "400",                                                      \
    "time series: `end_time` not a non-negative integer (Unix seconds)")                           \
  X(tsdata_error, span_too_long, 126012, "400",                                                    \
    "time series: the range exceeds the interval's maximum span (minute, hour: 1 day; day, "       \
    "raw: 31 days; week: 12 weeks; month: 12 months; year: 5 years)")                              \
  X(tsdata_error, start_not_before_end, 126013, "400",                                             \
    "time series: `start_time` is not before `end_time`")                                          \
  X(tsdata_error, range_required, 126015, "400",                                                   \
    "time series: an aggregate needs `start_time` and `end_time`, or `num_intervals`")             \
  X(tsdata_error, latest_month_year, 126016, "400",                                                \
    "time series: `latest` is not available with month or year intervals")                         \
  X(tsdata_error, type_invalid, 126017, "400",                                                     \
    "time series: `type` not float, int, bool or string")                                          \
  X(tsdata_error, type_mismatch, 126018, "400",                                                    \
    "time series: the param is stored with another data type than `type`")                         \
  X(tsdata_error, aggregate_type, 126019, "400",                                                   \
    "time series: bool and string params allow only raw, latest and count")                        \
  X(tsdata_error, timezone_invalid, 126020, "400",                                                 \
    "time series: `timezone` is not an IANA time zone name (case-insensitive)")                    \
  X(tsdata_error, differential_type, 126021, "400",                                                \
    "time series: `differential` is for aggregates of float and int params")                       \
  X(tsdata_error, not_supported, 126100, "400",                                                    \
    "time series: simple_tsdata `query_type=aggregates` is not supported (Stratus)")               \
  X(tsdata_error, num_records_invalid, 126101, "400",                                              \
    "time series: `num_records` not 1–200 (Stratus)")                                              \
  X(tsdata_error, start_id_invalid, 126102, "400",                                                 \
    "time series: `start_id` is not a token of this query (Stratus)")                              \
  X(simple_tsdata_error, node_id_missing, 136001, "400", "simple time series: `node_id` missing")  \
  X(simple_tsdata_error, param_name_missing, 136002, "400",                                        \
    "simple time series: `param_name` missing")                                                    \
  X(simple_tsdata_error, type_invalid, 136005, "400",                                              \
    "simple time series: `type` missing or not float, int, bool, string, array or object")         \
  /* --- automations (rainmaker-cloud.md §3; docs/adr/0012) ------------------------ */           \
  X(automation_error, name_missing, 127001, "400", "automation: `name` missing")                   \
  X(automation_error, event_missing, 127002, "400", "automation: `events` missing or empty")       \
  X(automation_error, action_missing, 127003, "400", "automation: `actions` missing or empty")     \
  X(automation_error, id_missing, 127005, "400", "automation: `automation_id` missing")            \
  X(automation_error, nothing_to_update, 127009, "400",                                            \
    "automation: the PUT body changes nothing")                                                    \
  X(automation_error, name_exists, 127010, "409",                                                  \
    "automation: the caller has an automation of that name for that node")                         \
  X(automation_error, name_length, 127011, "400", "automation: `name` longer than 256 bytes")      \
  X(automation_error, not_found, 127012, "404", "automation: no such automation of the caller")    \
  X(automation_error, operator_needed, 127013, "400",                                              \
    "automation: `event_operator` (`and`/`or`) needed with more than one event")                   \
  X(automation_error, too_many_actions, 127014, "400", "automation: more than 10 actions")         \
  X(automation_error, too_many_events, 127015, "400", "automation: more than 5 events")            \
  X(automation_error, check_invalid, 127017, "400",                                                \
    "automation: `check` not one of `==` `!=` `<` `<=` `>` `>=`")                                  \
  X(automation_error, node_forbidden, 127018, "403",                                               \
    "automation: a node it names is not one the caller may control")                               \
  X(automation_error, event_type_invalid, 127019, "400",                                           \
    "automation: `event_type` not `node_params`, `daylight` or `weather`")                         \
  X(automation_error, location_missing, 127020, "400",                                             \
    "automation: `location` missing (daylight and weather)")                                       \
  X(automation_error, location_invalid, 127021, "400",                                             \
    "automation: `location` latitude/longitude not numbers in range")                              \
  X(automation_error, node_id_on_location, 127022, "400",                                          \
    "automation: `node_id` given for a daylight or weather automation, or missing for "            \
    "node_params")                                                                                 \
  X(automation_error, event_params_invalid, 127023, "400",                                         \
    "automation: an event's `params` names no param of the node, or a value of the wrong type")    \
  X(automation_error, one_weather_condition, 127026, "400",                                        \
    "automation: more than one `weather_condition` event")                                         \
  X(automation_error, operator_unsupported, 127029, "400",                                         \
    "automation: `event_operator` not `and` or `or`")                                              \
  X(automation_error, action_params_invalid, 127100, "400",                                        \
    "automation: an action's `params` is not a valid set for its node (the description says why; " \
    "Stratus)")                                                                                    \
  X(automation_error, too_many_automations, 127101, "400",                                         \
    "automation: the caller has `automations.max_per_user` automations already (Stratus)")         \
  /* --- OTA images and jobs (rainmaker-cloud.md §6, error codes 104/105; docs/adr/0013) */       \
  X(ota_image_error, image_missing, 104001, "400",                                                 \
    "OTA image: `base64_fwimage` or the body missing")                                             \
  X(ota_image_error, name_missing, 104002, "400", "OTA image: `image_name` missing")               \
  X(ota_image_error, image_invalid, 104003, "400",                                                 \
    "OTA image: not an ESP application image (header, segments or checksum; the description "      \
    "says which)")                                                                                 \
  X(ota_image_error, fw_version_missing, 104004, "400",                                            \
    "OTA image: no `fw_version` declared and none in the image")                                   \
  X(ota_image_error, too_large_base64, 104010, "400", "OTA image: a base64 image over 5 MB")       \
  X(ota_image_error, base64_invalid, 104011, "400", "OTA image: `base64_fwimage` is not base64")   \
  X(ota_image_error, not_found, 104015, "404", "OTA image: no such image")                         \
  X(ota_image_error, in_use, 104016, "409", "OTA image: an active job uses it")                    \
  X(ota_image_error, id_missing, 104018, "400", "OTA image: `ota_image_id` missing")               \
  X(ota_image_error, too_large, 104030, "400", "OTA image: over `ota.max_image_bytes`")            \
  X(ota_image_error, archived, 104034, "400", "OTA image: the image is archived")                  \
  X(ota_image_error, name_invalid, 104039, "400",                                                  \
    "OTA image: `image_name` empty, over 128 bytes or with control characters")                    \
  X(ota_image_error, declared_mismatch, 104100, "400",                                             \
    "OTA image: a declared `fw_version` or `project_name` differs from the image header "          \
    "(Stratus)")                                                                                   \
  X(ota_image_error, user_upload_forbidden, 104101, "403",                                         \
    "OTA image: only a primary user of some node may upload (Stratus)")                            \
  X(ota_job_error, name_missing, 105001, "400", "OTA job: `ota_job_name` missing")                 \
  X(ota_job_error, targets_missing, 105002, "400",                                                 \
    "OTA job: no `nodes`, `groups` or `node_model`/`node_type` filter")                            \
  X(ota_job_error, name_exists, 105005, "409", "OTA job: `ota_job_name` exists")                   \
  X(ota_job_error, not_found, 105012, "404", "OTA job: no such job")                               \
  X(ota_job_error, id_missing, 105014, "400", "OTA job: `ota_job_id` missing")                     \
  X(ota_job_error, node_id_missing, 105018, "400", "OTA: `node_id` missing")                       \
  X(ota_job_error, status_not_found, 105024, "404", "OTA: no status of that node in that job")     \
  X(ota_job_error, too_many_groups, 105028, "400", "OTA job: more than 10 groups")                 \
  X(ota_job_error, too_many_nodes, 105029, "400", "OTA job: more than 100 nodes")                  \
  X(ota_job_error, job_not_for_node, 105036, "400", "OTA: the job does not target that node")      \
  X(ota_job_error, no_valid_nodes, 105048, "400",                                                  \
    "OTA job: no target node matches the image (model, type, chip) or exists")                     \
  X(ota_job_error, priority_invalid, 105054, "400", "OTA job: `priority` not 1–10")                \
  X(ota_job_error, invalid_job, 105061, "400",                                                     \
    "OTA job: invalid combination (`force_push` with `user_approval`) or value")                   \
  X(ota_job_error, inactive, 105081, "400", "OTA job: the job is not active")                      \
  X(ota_job_error, rollout_invalid, 105100, "400",                                                 \
    "OTA job: `rollout` needs one of `batch_size` (1–10000) or `percent` (1–100), "            \
    "`interval_s` 0–86400 and `stop_on_failure_percent` 0–100 (Stratus)")                          \
  X(ota_job_error, downloads_unavailable, 105101, "400",                                           \
    "OTA job: stratusd serves no HTTPS (`http.tls`) and plain HTTP downloads are off "             \
    "(`ota.allow_plain_http`) (Stratus)")                                                          \
  X(ota_job_error, download_forbidden, 105102, "403",                                              \
    "OTA download: the URL's token is invalid, expired or for another node or image, or the "      \
    "offer was withdrawn (Stratus)")                                                               \
  /* --- claiming (spec §6; Espressif documents no codes, so these are Stratus's) ----- */        \
  X(claim_error, mac_invalid, 150001, "400",                                                       \
    "claiming: `mac_addr` missing or not 12 hex digits (`:` and `-` allowed)")                     \
  X(claim_error, platform_invalid, 150002, "400",                                                  \
    "claiming: `platform` missing, empty, over 32 bytes or not [A-Za-z0-9._-]")                    \
  X(claim_error, csr_missing, 150003, "400", "claiming: `csr` missing or empty")                   \
  X(claim_error, csr_invalid, 150004, "400",                                                       \
    "claiming: the CSR does not parse, is over 16 KiB, its signature does not verify, or its "     \
    "key is not ECDSA P-256 / RSA 2048–4096")                                                      \
  X(claim_error, claim_not_found, 150005, "404",                                                   \
    "claiming: the CSR's CN is not a node id this user initiated")                                 \
  X(claim_error, cn_mismatch, 150006, "400",                                                       \
    "claiming: the CSR's CN is not the node id being claimed")                                     \
  X(claim_error, node_limit, 150007, "429",                                                        \
    "claiming: the user holds `claiming.max_nodes_per_user` node ids")                             \
  X(claim_error, self_claim_disabled, 150008, "403",                                               \
    "self claiming is off (`claiming.self_claim = deny`)")                                         \
  X(claim_error, mac_not_allowed, 150009, "403",                                                   \
    "self claiming: the MAC address matches no entry of the allow-list")                           \
  X(claim_error, challenge_response_missing, 150010, "400",                                        \
    "self claiming: `auth_id` or `challenge_response` missing or malformed")                       \
  X(claim_error, challenge_invalid, 150011, "403",                                                 \
    "self claiming: the `auth_id` is unknown, expired or already used")                            \
  X(claim_error, matter_unsupported, 150012, "400",                                                \
    "`claim/verify?matter=true`: Matter device certificates are not issued")                       \
  X(claim_error, reissue_forbidden, 150013, "403",                                                 \
    "`claim/verify`: the node belongs to another user now; only its primary user may get a "       \
    "new certificate (docs/security.md)")                                                          \
  X(claim_error, already_certified, 150014, "403",                                                 \
    "self claiming: the node id already holds a valid certificate")                                \
  /* --- manufacturing and revocation (Stratus's own, docs/adr/0014) ---------------- */           \
  X(mfg_error, reclaim_forbidden, 156001, "403",                                                   \
    "claiming: an admin revoked the node; a new certificate needs `POST "                          \
    "/v1/admin/nodes/allow_reclaim`")                                                              \
  X(mfg_error, node_count_invalid, 156002, "400", "node ids: `node_count` is not 1–50000")         \
  X(mfg_error, request_not_found, 156003, "404",                                                   \
    "manufacturing: no node-id or registration request with this `request_id`")                    \
  X(mfg_error, file_name_invalid, 156004, "400",                                                   \
    "registration: `file_name` missing, over 255 bytes, or with a path separator or control "      \
    "characters")                                                                                  \
  X(mfg_error, signed_url_invalid, 156005, "403",                                                  \
    "manufacturing upload/download URL: the token is malformed, expired or for another request")   \
  X(mfg_error, file_missing, 156006, "400",                                                        \
    "registration: no file was uploaded for this `request_id` (PUT the upload URL first)")         \
  X(mfg_error, md5_mismatch, 156007, "400",                                                        \
    "registration: `file_md5` is not the MD5 of the uploaded file")                                \
  X(mfg_error, registration_state, 156008, "409",                                                  \
    "registration: the request was registered already, or its file was uploaded already")          \
  X(mfg_error, ca_invalid, 156009, "400",                                                          \
    "CA registration: not a PEM certificate with CA:TRUE, or expired")                             \
  X(mfg_error, ca_exists, 156010, "409", "CA registration: this CA is registered already")         \
  X(mfg_error, node_not_found, 156011, "404",                                                      \
    "revocation: no node and no certificate with this `node_id`")                                  \
  X(mfg_error, not_revoked, 156012, "404",                                                         \
    "`allow_reclaim`: the node was not revoked by an admin")                                       \
  X(mfg_error, field_invalid, 156013, "400",                                                       \
    "manufacturing: a field is malformed (`node_id`, `reason`, `group_name`, `tags`, `type`, "     \
    "`model`, `subtype`: the description names it)")                                               \
  X(mfg_error, queue_full, 156014, "503",                                                          \
    "registration: `manufacturing.max_queued_registrations` jobs are waiting; retry later")        \
  /* --- live events, alerts and webhooks (Stratus's own, docs/adr/0010) ------------ */           \
  X(event_error, invalid_filter, 152001, "400",                                                    \
    "events: bad `node_ids`, `types` or `last_event_id` (query or first message)")                 \
  X(event_error, invalid_time_range, 152002, "400",                                                \
    "alerts: `start_time`/`end_time` not epoch seconds, or start after end")                       \
  X(event_error, webhook_url_invalid, 153001, "400",                                               \
    "webhook: `url` is not an absolute http(s) URL")                                               \
  X(event_error, webhook_url_forbidden, 153002, "400",                                             \
    "webhook: `url` resolves to a loopback, link-local or private address the operator has not "   \
    "allowed (`webhooks.allow_private_addresses`)")                                                \
  X(event_error, webhook_events_invalid, 153003, "400",                                            \
    "webhook: `events` empty or naming an unknown event type")                                     \
  X(event_error, webhook_secret_invalid, 153004, "400",                                            \
    "webhook: `secret` missing, shorter than 16 or longer than 256 bytes")                         \
  X(event_error, webhook_not_found, 153005, "404", "webhook: no such webhook of the caller")       \
  X(event_error, too_many_webhooks, 153006, "400",                                                 \
    "webhook: the caller has `webhooks.max_per_user` webhooks already")                            \
  /* --- fleet administration and audit (Stratus, issue 18) ------------------------- */           \
  X(admin_error, node_quota_reached, 157001, "403",                                                \
    "the user holds as many nodes as its node quota allows (remove one, or ask an admin)")         \
  X(admin_error, user_disabled, 157002, "403", "the account is disabled by an administrator")      \
  X(admin_error, disable_self, 157003, "400", "an admin cannot disable its own account")           \
  X(admin_error, quota_invalid, 157004, "400",                                                     \
    "`node_quota` must be a whole number 0..1000000 (0 = unlimited) or null (the default)")        \
  X(admin_error, query_invalid, 157005, "400",                                                     \
    "an admin list query parameter is malformed (the description names it)")                       \
  X(admin_error, node_not_found, 157006, "404", "no such node")                                    \
  X(admin_error, user_not_found, 157007, "404", "no such user (by user id or user name)")          \
  /* --- Wirepas gateways and operators on the embedded broker (docs/adr/0018) ------ */           \
  X(wirepas_error, disabled, 158001, "409",                                                        \
    "Wirepas gateways are not enabled on this server (`wirepas.enabled`)")                         \
  X(wirepas_error, role_invalid, 158002, "400", "`role` must be \"gateway\" or \"operator\"")      \
  X(wirepas_error, name_invalid, 158003, "400",                                                    \
    "`name` must be 1-64 characters of A-Z a-z 0-9 . _ : - (and not the backend's user name)")     \
  X(wirepas_error, name_exists, 158004, "409", "a Wirepas gateway or operator has this name")      \
  X(wirepas_error, credential_not_found, 158005, "404",                                            \
    "no Wirepas gateway or operator by that name")

namespace stratus::proto::rest {

#define STRATUS_REST_ERROR_CONSTANT(area, name, code, http, description) \
  namespace area {                                                       \
  inline constexpr int name = code;                                      \
  }
STRATUS_REST_ERROR_CODES(STRATUS_REST_ERROR_CONSTANT)
#undef STRATUS_REST_ERROR_CONSTANT

/// One row of the table.
struct ErrorCodeInfo {
  int code = 0;
  std::string_view area;         ///< "node_error"
  std::string_view name;         ///< "node_not_found"
  std::string_view http_status;  ///< as docs/api.md prints it: "404 (207 entry)"
  std::string_view description;  ///< lower-case English, no final period
};

/// Every code, in the order of the table. Thread-safe (static data).
[[nodiscard]] std::span<const ErrorCodeInfo> error_code_table() noexcept;

/// The row of `code`, or nullopt for a code Stratus never sends.
[[nodiscard]] std::optional<ErrorCodeInfo> find_error_code(int code) noexcept;

}  // namespace stratus::proto::rest

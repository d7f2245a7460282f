#pragma once
/// @file
/// OTA routes (issue 17, docs/adr/0013; rainmaker-cloud.md §6, rainmaker.md §4.6):
///
/// - `POST /v1/admin/otaimage` `{image_name, base64_fwimage, fw_version?, model?, type?}`
///   (≤ 5 MB image; body limit `kMaxBase64BodyBytes`) → `{status, ota_image_id, image_url}`;
///   `GET ?ota_image_id | start_id&num_records&archived` → one image or `{ota_images, next_id}`;
///   `PUT ?ota_image_id&archive=true|false`; `DELETE ?ota_image_id` (409 `104016` while a job
///   uses it).
/// - `POST /v1/admin/otaimage/upload?image_name&fw_version?&project_name?&model?&type?`:
///   the raw image as the body (`application/octet-stream`), streamed to disk, up to
///   `ota.max_image_bytes` (Stratus; what `stratus-admin ota upload` uses).
/// - `POST /v1/admin/otajob` (`force_push`/`user_approval` also as query flags, the spec's
///   way) → `{status, ota_job_id}`; `GET ?ota_job_id | start_id&num_records`;
///   `PUT {ota_job_id}` cancels, `{ota_job_id, resume:true}` resumes a paused job;
///   `GET /v1/admin/otajob/status?ota_job_id&node_id?&start_id&num_records`.
/// - `POST /v1/user/otaimage` (primary users; the RainMaker CLI's OTA-using-params flow);
///   `GET /v1/user/nodes/ota_status?node_id&ota_job_id`; `GET|POST /v1/user/nodes/ota_update`.
/// - `GET|HEAD /v1/ota/download?image&node|user&expires&sig`: the image, with `Range`
///   (206/416), no login: the signed URL is the credential (the firmware sends none).
///
/// Admin routes answer 403 `100004` to anyone but a super-admin.

#include <cstddef>

#include "core/clock.hpp"
#include "http/router.hpp"
#include "service/account_service.hpp"
#include "service/ota_service.hpp"

namespace boost::asio {
class thread_pool;
}  // namespace boost::asio

namespace stratus::api {

/// Body limit of the base64 image routes: a 5 MB image is 6.7 MB of base64 plus JSON.
inline constexpr std::size_t kMaxBase64BodyBytes = 7 * 1024 * 1024 + 4096;

/// Registers the routes above. `max_image_bytes` bounds the raw upload's body. Every
/// reference must outlive the router; `clock` checks download URLs' expiry.
void add_ota_routes(http::Router& router, service::AccountService& accounts,
                    service::OtaService& ota, boost::asio::thread_pool& pool, const Clock& clock,
                    std::size_t max_image_bytes);

}  // namespace stratus::api

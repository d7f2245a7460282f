// Fuzz target `mfg_rest`: the manufacturing REST bodies (docs/api.md "Manufacturing and
// revocation"): `POST /v1/admin/node_certificates/register` as the admin CLI sends it,
// `POST /v1/admin/nodes/revoke|allow_reclaim`, the admin CLI's `--tags` argument; and the
// same bytes as the answers `stratus-admin` reads.
// Invariants: every refusal is invalid_argument (a 400, never a 500); an accepted body,
// written again with to_json, parses to the same request; accepted tags are "name:value"
// without a leading '@' in the value; answer parsers never crash.
#include <boost/json.hpp>

#include "fuzz_check.hpp"
#include "proto/rest/json.hpp"
#include "proto/rest/manufacturing.hpp"
#include "service/manufacturing_service.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace stratus;
  namespace rest = proto::rest;
  const auto text = fuzz::as_text(data, size);

  if (auto tags = service::parse_admin_tags(text)) {
    for (const auto& t : *tags) {
      const auto colon = t.find(':');
      FUZZ_CHECK(colon != std::string::npos && colon > 0 && colon + 1 < t.size());
      FUZZ_CHECK(t[colon + 1] != '@');
    }
  } else {
    FUZZ_CHECK(tags.error().code == errc::invalid_argument);
  }

  const auto object = rest::parse_object_body(text);
  if (!object)
    return 0;
  if (auto r = rest::parse_certificate_registration(*object)) {
    auto again = rest::parse_certificate_registration(rest::to_json(*r));
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(again->request_id == r->request_id && again->file_md5 == r->file_md5 &&
               again->tags == r->tags && again->force == r->force &&
               again->update_nodes == r->update_nodes && again->group_name == r->group_name);
  } else {
    FUZZ_CHECK(r.error().code == errc::invalid_argument);
  }
  if (auto r = rest::parse_node_revocation(*object)) {
    auto again = rest::parse_node_revocation(rest::to_json(*r));
    FUZZ_CHECK(again.has_value() && again->node_id == r->node_id && again->reason == r->reason);
  } else {
    FUZZ_CHECK(r.error().code == errc::invalid_argument);
  }
  (void)rest::parse_registration_status(*object);
  (void)rest::parse_upload_url(*object);
  (void)rest::parse_ca_certificate(*object);
  const auto page = rest::parse_revoked_page(*object);
  const auto back = rest::parse_revoked_page(rest::to_json(page));
  FUZZ_CHECK(back.revoked.size() == page.revoked.size());
  return 0;
}

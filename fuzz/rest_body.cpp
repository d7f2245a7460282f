// Fuzz target `rest_body`: REST request bodies (docs/api.md) — the JSON readers every
// route uses (parse_object_body, optional_string_fields) and every request parser of the REST
// contract (proto/rest: accounts, batch sets, mapping, tags/metadata, commands,
// claiming, sharing, groups); plus the query readers (the time-series query: every query
// parameter set to the input).
// Invariants: a body any parser accepts is a JSON object for parse_object too (batch
// sets: any JSON), every parsed set points into the body, an accepted command
// re-encodes to a body that parses to the same command; every error is
// invalid_argument (a 400, never a 500). The same bytes as a server's answer go through
// every answer parser a client uses (tolerant: they may refuse, never crash), and a
// node page read back from its own writing keeps its entries.
#include <array>
#include <boost/json.hpp>
#include <string_view>

#include "api/command_routes.hpp"
#include "fuzz_check.hpp"
#include "proto/rest/accounts.hpp"
#include "proto/rest/admin_mfg.hpp"
#include "proto/rest/automations.hpp"
#include "proto/rest/claiming.hpp"
#include "proto/rest/commands.hpp"
#include "proto/rest/events.hpp"
#include "proto/rest/groups.hpp"
#include "proto/rest/json.hpp"
#include "proto/rest/nodes.hpp"
#include "proto/rest/ota.hpp"
#include "proto/rest/sharing.hpp"
#include "proto/rest/tsdata.hpp"
#include "service/daylight.hpp"

namespace {

using namespace stratus;

template <class T>
void check_refusal(const Result<T>& r) {
  if (!r)
    FUZZ_CHECK(r.error().code == errc::invalid_argument);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace rest = proto::rest;
  const auto body = fuzz::as_text(data, size);

  const auto object = rest::parse_object_body(body);
  if (!object)
    FUZZ_CHECK(object.error().code == errc::invalid_argument);

  constexpr std::array<std::string_view, 3> kNames{"user_name", "password", "node_id"};
  if (object) {
    if (const auto fields = rest::optional_string_fields(*object, kNames); !fields)
      FUZZ_CHECK(fields.error().code == errc::invalid_argument);
  }

  const auto command = api::parse_new_command(body);
  if (command) {
    FUZZ_CHECK(object.has_value());
    // What the client writes for this command, the server reads back unchanged.
    const auto again = rest::parse_command_request(rest::to_json(*command));
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(again->node_ids == command->node_ids && again->cmd == command->cmd &&
               again->timeout_s == command->timeout_s &&
               again->override_pending == command->override_pending);
    FUZZ_CHECK(again->is_base64 == command->is_base64);
  } else {
    FUZZ_CHECK(command.error().code == errc::invalid_argument);
  }

  if (const auto any = rest::parse_body(body)) {
    const auto sets = rest::parse_params_sets(*any, "n1");
    check_refusal(sets);
    if (sets) {
      FUZZ_CHECK(!sets->empty() && sets->size() <= rest::limits::kMaxSetsPerRequest);
      for (const auto& s : *sets)
        FUZZ_CHECK(s.payload != nullptr);
    }
  } else {
    FUZZ_CHECK(any.error().code == errc::invalid_argument);
  }

  if (object) {
    check_refusal(rest::parse_sign_up_request(*object));
    check_refusal(rest::parse_login_request(*object));
    check_refusal(rest::parse_forgot_password_request(*object));
    check_refusal(rest::parse_change_password_request(*object));
    check_refusal(rest::parse_mapping_request(*object));
    check_refusal(rest::parse_mapping_challenge_request(*object));
    check_refusal(rest::parse_mapping_verify_request(*object));
    check_refusal(rest::parse_node_update(*object));
    check_refusal(rest::parse_claim_initiate_request(*object));
    check_refusal(rest::parse_claim_verify_request(*object));
    check_refusal(rest::parse_sharing_answer(*object));
    check_refusal(rest::parse_group_fields(*object));
    if (const auto hook = rest::parse_webhook_request(*object)) {
      const auto text = rest::parse_object_body(rest::webhook_request_json(*hook));
      FUZZ_CHECK(text.has_value());
      const auto again = rest::parse_webhook_request(*text);
      FUZZ_CHECK(again && again->url == hook->url && again->events == hook->events &&
                 again->node_ids == hook->node_ids && again->secret == hook->secret);
    } else {
      FUZZ_CHECK(hook.error().code == errc::invalid_argument);
    }
    if (const auto automation = rest::parse_automation_fields(*object)) {
      // Accepted members survive their own writing.
      const auto again = rest::parse_automation_fields(rest::to_json(*automation));
      FUZZ_CHECK(again && again->empty() == automation->empty() &&
                 again->name == automation->name &&
                 again->events.has_value() == automation->events.has_value() &&
                 again->actions.has_value() == automation->actions.has_value());
      if (automation->location)
        check_refusal(service::parse_location(automation->location->latitude,
                                              automation->location->longitude));
    } else {
      FUZZ_CHECK(automation.error().code == errc::invalid_argument);
    }
    (void)rest::parse_automation_page(*object);
    if (const auto update = rest::parse_user_update(*object)) {
      // What was accepted is written back and read again the same.
      FUZZ_CHECK(update->name || update->alert_mail);
      const auto again = rest::parse_user_update(rest::to_json(*update));
      FUZZ_CHECK(again && again->name == update->name && again->alert_mail == update->alert_mail);
    } else {
      FUZZ_CHECK(update.error().code == errc::invalid_argument);
    }
    for (const auto kind : {rest::SharingKind::node, rest::SharingKind::group}) {
      const auto share = rest::parse_share_request(*object, kind);
      check_refusal(share);
      if (share) {
        // What a client writes for this share, the server reads back unchanged.
        const auto again = rest::parse_share_request(rest::to_json(*share, kind), kind);
        FUZZ_CHECK(again.has_value());
        FUZZ_CHECK(again->ids == share->ids && again->user_name == share->user_name &&
                   again->sub_role == share->sub_role && again->primary == share->primary &&
                   again->transfer == share->transfer && again->new_role == share->new_role);
      }
    }
    if (const auto upload = rest::parse_ota_image_upload(*object)) {
      const auto again = rest::parse_ota_image_upload(rest::to_json(*upload));
      FUZZ_CHECK(again && again->image_name == upload->image_name &&
                 again->base64_fwimage == upload->base64_fwimage &&
                 again->fw_version == upload->fw_version && again->model == upload->model);
    } else {
      FUZZ_CHECK(upload.error().code == errc::invalid_argument);
    }
    if (const auto job = rest::parse_new_ota_job(*object)) {
      // What a client writes for this job, the server reads back unchanged.
      const auto again = rest::parse_new_ota_job(rest::to_json(*job));
      FUZZ_CHECK(again && again->ota_job_name == job->ota_job_name && again->nodes == job->nodes &&
                 again->groups == job->groups && again->priority == job->priority &&
                 again->force_push == job->force_push &&
                 again->rollout.has_value() == job->rollout.has_value());
    } else {
      FUZZ_CHECK(job.error().code == errc::invalid_argument);
    }
    if (const auto count = rest::parse_node_ids_request(*object)) {
      const auto again = rest::parse_node_ids_request(rest::to_json(*count));
      FUZZ_CHECK(again && again->node_count == count->node_count && count->node_count >= 1);
    } else {
      FUZZ_CHECK(count.error().code == errc::invalid_argument);
    }
    if (const auto fields = rest::parse_group_fields(*object)) {
      const auto again = rest::parse_group_fields(rest::to_json(*fields));
      FUZZ_CHECK(again.has_value());
      FUZZ_CHECK(again->group_name == fields->group_name && again->nodes == fields->nodes &&
                 again->operation == fields->operation && again->empty() == fields->empty());
    }
  }

  if (object) {
    (void)rest::parse_tokens(*object, true);
    (void)rest::parse_user_info(*object);
    (void)rest::parse_user_page(*object);
    (void)rest::parse_api_versions(*object);
    (void)rest::parse_mqtt_host(*object);
    (void)rest::parse_admin_mqtt_host(*object);
    (void)rest::parse_node_ids_requested(*object);
    (void)rest::parse_node_ids_status(*object);
    (void)rest::parse_node_status(*object);
    (void)rest::parse_mapping_created(*object);
    (void)rest::parse_mapping_status(*object);
    (void)rest::parse_mapping_challenge(*object);
    (void)rest::parse_claim_initiated(*object);
    (void)rest::parse_claim_verified(*object);
    (void)rest::parse_command_created(*object);
    (void)rest::parse_share_created(*object);
    (void)rest::parse_group_created(*object);
    (void)rest::parse_ota_image_created(*object);
    (void)rest::parse_ota_node_status(*object);
    (void)rest::parse_ota_update_check(*object);
    const auto images = rest::parse_ota_image_page(*object);
    FUZZ_CHECK(rest::parse_ota_image_page(rest::to_json(images)).images.size() ==
               images.images.size());
    const auto jobs = rest::parse_ota_job_page(*object);
    FUZZ_CHECK(rest::parse_ota_job_page(rest::to_json(jobs)).jobs.size() == jobs.jobs.size());
    (void)rest::parse_ota_node_status_page(*object);
    for (const auto kind : {rest::SharingKind::node, rest::SharingKind::group}) {
      (void)rest::parse_sharing_users(*object, kind);
      const auto requests = rest::parse_sharing_request_page(*object, kind);
      const auto again = rest::parse_sharing_request_page(rest::to_json(requests, kind), kind);
      FUZZ_CHECK(again.requests.size() == requests.requests.size());
    }
    const auto groups = rest::parse_group_page(*object);
    FUZZ_CHECK(rest::parse_group_page(rest::to_json(groups)).groups.size() == groups.groups.size());
    const auto commands = rest::parse_command_page(*object);
    for (const auto& r : commands.requests)
      (void)rest::command_data_text(r.request_data_json);
    if (const auto ts = rest::parse_tsdata_answer(*object)) {
      const auto again = rest::parse_tsdata_answer(rest::to_json(*ts));
      FUZZ_CHECK(again && again->values.size() == ts->values.size());
    }
    const auto page = rest::parse_node_page(*object);
    const auto again = rest::parse_node_page(rest::to_json(page));
    FUZZ_CHECK(again.with_details == page.with_details && again.total == page.total);
    FUZZ_CHECK(page.with_details ? again.node_details.size() == page.node_details.size()
                                 : again.node_ids.size() == page.node_ids.size());
  }
  if (const auto any = rest::parse_body(body))
    (void)rest::parse_set_outcomes(*any, {"n1"});

  // The event stream: a browser's first message, the query filters (the body as each
  // query value), the server's messages and alert pages as a client reads them.
  if (const auto hello = rest::parse_stream_hello(body)) {
    FUZZ_CHECK(!hello->access_token.empty());
    const auto again =
        rest::parse_stream_hello(rest::stream_hello_json(hello->access_token, hello->filter));
    FUZZ_CHECK(again && again->filter.kinds == hello->filter.kinds &&
               again->filter.node_ids == hello->filter.node_ids);
  } else {
    FUZZ_CHECK(hello.error().code == errc::invalid_argument);
  }
  const std::string text(body);
  for (const char* key : {"node_ids", "types", "last_event_id"})
    check_refusal(rest::parse_event_filter({{key, text}}));
  check_refusal(rest::parse_alert_query({{"node_id", "n1"}, {"start_time", text}}));
  check_refusal(rest::parse_alert_query({{"node_id", text}, {"num_records", text}}));
  if (const auto message = rest::parse_stream_message(body))
    (void)rest::event_summary(*message);
  if (const auto alerts = rest::parse_alert_page(body)) {
    const auto again = rest::parse_alert_page(rest::alert_page_json(*alerts));
    FUZZ_CHECK(again && again->alerts.size() == alerts->alerts.size());
    for (const auto& a : alerts->alerts)
      (void)rest::alert_text(a.payload_json);
  }

  if (const auto flag = rest::parse_query_bool(body))
    FUZZ_CHECK(body.size() <= 5);
  check_refusal(rest::parse_page_size(body));
  check_refusal(rest::parse_query_int(body, "start_id"));
  for (const bool simple : {false, true}) {
    const auto query = rest::parse_tsdata_query(
        [body](std::string_view) { return std::optional<std::string_view>(body); }, simple);
    check_refusal(query);
  }
  return 0;
}

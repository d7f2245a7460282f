#pragma once
/// @file
/// The values the REST client hands back: the REST contract's own DTOs
/// (proto/rest/*.hpp, spec rainmaker.md §4), named here for the client's users, plus
/// the two inputs that carry user-written JSON text. Open-ended documents (node
/// config, params, metadata) stay JSON text, so no JSON library type leaks into
/// this header.

#include <filesystem>
#include <string>
#include <vector>

#include "proto/rest/accounts.hpp"
#include "proto/rest/admin.hpp"
#include "proto/rest/admin_mfg.hpp"
#include "proto/rest/automations.hpp"
#include "proto/rest/claiming.hpp"
#include "proto/rest/commands.hpp"
#include "proto/rest/events.hpp"
#include "proto/rest/groups.hpp"
#include "proto/rest/nodes.hpp"
#include "proto/rest/ota.hpp"
#include "proto/rest/ota_params.hpp"
#include "proto/rest/sharing.hpp"
#include "proto/rest/tsdata.hpp"

namespace stratus::client {

using proto::rest::AdminMqttHost;
using proto::rest::AlertPage;
using proto::rest::AlertQuery;
using proto::rest::AuditPage;
using proto::rest::AuditQuery;
using proto::rest::AuditRecord;
using proto::rest::Automation;
using proto::rest::AutomationFields;
using proto::rest::ClaimVerified;
using proto::rest::CommandCreated;
using proto::rest::CommandPage;
using proto::rest::CommandRecord;
using proto::rest::CommandRequest;
using proto::rest::CommandResponseGroup;
using proto::rest::Connectivity;
using proto::rest::EventFilter;
using proto::rest::FleetNode;
using proto::rest::FleetNodeDetail;
using proto::rest::FleetNodePage;
using proto::rest::FleetNodeQuery;
using proto::rest::Group;
using proto::rest::GroupFields;
using proto::rest::GroupPage;
using proto::rest::IssuedWirepasCredential;
using proto::rest::MappingChallenge;
using proto::rest::MappingStatus;
using proto::rest::MqttHost;
using proto::rest::NewOtaJob;
using proto::rest::NodeDetails;
using proto::rest::NodeIdsStatus;
using proto::rest::NodePage;
using proto::rest::OtaImage;
using proto::rest::OtaImagePage;
using proto::rest::OtaImageUpload;
using proto::rest::OtaJob;
using proto::rest::OtaJobCounts;
using proto::rest::OtaJobPage;
using proto::rest::OtaNodeStatus;
using proto::rest::OtaNodeStatusPage;
using proto::rest::OtaParamsProgress;
using proto::rest::OtaParamsService;
using proto::rest::OtaRollout;
using proto::rest::OtaUpdateCheck;
using proto::rest::SetOutcome;
using proto::rest::ShareCreated;
using proto::rest::ShareRequest;
using proto::rest::SharingKind;
using proto::rest::SharingRequestPage;
using proto::rest::SharingUsers;
using proto::rest::StreamMessage;
using proto::rest::Tokens;
using proto::rest::TsAggregate;
using proto::rest::TsDataAnswer;
using proto::rest::TsDataQuery;
using proto::rest::TsDataValue;
using proto::rest::TsInterval;
using proto::rest::UserInfo;
using proto::rest::UserPage;
using proto::rest::UserSummary;
using proto::rest::UserUpdate;
using proto::rest::WebhookInfo;
using proto::rest::WebhookRequest;
using proto::rest::WirepasCredential;

/// An image file to upload as it is (`Session::upload_ota_image`): the query of
/// `POST v1/admin/otaimage/upload`. Empty optional fields are not sent (the server reads
/// them from the image header where it can).
struct OtaImageFile {
  std::filesystem::path file;  ///< the image, streamed from disk
  std::string image_name;      ///< required by the server
  std::string fw_version;      ///< must equal the header's version when given
  std::string model;           ///< node model the image is for
  std::string type;            ///< node type the image is for
  std::string project_name;    ///< must equal the header's project name when given
};

/// One entry of a batch set as the user wrote it: `payload_json` must be a JSON object
/// `{"<Device>":{"<Param>":value}}` (checked by `Session::set_params` before sending).
struct NodeParams {
  std::string node_id;
  std::string payload_json;
};

}  // namespace stratus::client

#pragma once
/// @file
/// The params document `{"<device>":{"<param>":value}}` (spec rainmaker.md §1.3): deep merge
/// of node reports into the stored state, and validation of a user's set request against
/// the node config. Pure functions; thread-safe on distinct arguments.

#include <boost/json/object.hpp>

#include "core/error.hpp"
#include "model/node_config.hpp"

namespace stratus::model {

/// Merges a `params/local` (or `params/local/init`) report into `state` (spec §1.5): for
/// each device in `report` whose value is an object and whose entry in `state` is an
/// object, every param value replaces the stored one wholesale (arrays such as
/// `Schedules` and object-valued params are replaced, not merged); params not in the report
/// are kept. A device new to `state`, or a non-object on either side, replaces the whole
/// entry. To replace the state on `params/local/init` instead, assign the report.
void merge_report(boost::json::object& state, const boost::json::object& report);

/// Applies a metadata-style patch (spec §9.6; rainmaker-cloud.md §2.1 `custom_data`): a
/// key whose value is JSON null is deleted, an object merges recursively into an object,
/// anything else (arrays, scalars) overwrites.
void apply_patch(boost::json::object& target, const boost::json::object& patch);

/// Checks a user's set request (the object published on `params/remote`, spec §1.3, §1.5)
/// against `config`. Rules: at least one device; each top-level key is a device or service
/// of the config, with a non-empty object value; each inner key is a param of it with the
/// `write` property; the value's JSON type matches `data_type` (int: an integral number
/// within the 32-bit range the firmware stores; float: any number; bool, string, object,
/// array); numbers lie within `bounds` min/max and, when step > 0, on the grid
/// min + k·step (grid from 0 without min; relative tolerance 1e-6 for floats); strings
/// are one of `valid_strs` when that list is non-empty. Problems are reported in payload
/// order, joined with "; " (the first 10, then "and N more"), as one
/// `errc::invalid_argument` whose context a user can act on, naming
/// `Device.Param`: `Light.Brightness: 150 is above the maximum 100`, `Light.Power:
/// expected a boolean`, `Light.Color: unknown param`, `Fan: unknown device`, `Light.Name:
/// not writable`.
Result<void> validate_set(const NodeConfig& config, const boost::json::object& payload);

/// Checks one value against its param's spec with the rules of `validate_set` (type,
/// bounds and step, `valid_strs`); the `write` property is not checked, so a node can use
/// it for its own local changes too. Errors: `errc::invalid_argument` whose context is the
/// problem without the `Device.Param: ` prefix, e.g. `150 is above the maximum 100`.
Result<void> validate_value(const ParamSpec& spec, const boost::json::value& value);

}  // namespace stratus::model

// The `node` command: tags and metadata of a node (add-tags, remove-tags, set-metadata,
// delete-metadata).
#include <CLI/CLI.hpp>
#include <memory>
#include <ostream>

#include "cli/detail/context.hpp"
#include "cli/detail/groups.hpp"
#include "core/strings.hpp"

namespace stratus::cli::detail {
namespace {

struct TagsMetadataOptions {
  std::string node_id;
  std::string tags;  // key:value,key:value
  std::string data;  // a JSON object
  std::string key;
};

int tags(Context& ctx, const TagsMetadataOptions& o, bool remove) {
  const auto list = split_list(o.tags);
  if (list.empty())
    return ctx.report(Error{errc::invalid_argument, "--tags needs at least one key:value", 0});
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  auto r = remove ? s->remove_tags(o.node_id, list) : s->add_tags(o.node_id, list);
  if (!r)
    return ctx.report_call(r.error());
  ctx.out() << (remove ? "removed " : "added ") << list.size()
            << (list.size() == 1 ? " tag" : " tags") << (remove ? " from " : " to ") << o.node_id
            << '\n';
  return 0;
}

int set_metadata(Context& ctx, const TagsMetadataOptions& o) {
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  if (auto r = s->set_metadata(o.node_id, o.data); !r)
    return ctx.report_call(r.error());
  ctx.out() << "updated the metadata of " << o.node_id << '\n';
  return 0;
}

int delete_metadata(Context& ctx, const TagsMetadataOptions& o) {
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  std::optional<std::string> key;
  if (!o.key.empty())
    key = o.key;
  if (auto r = s->delete_metadata(o.node_id, key); !r)
    return ctx.report_call(r.error());
  if (key) {
    ctx.out() << "deleted metadata key " << *key << " of " << o.node_id << '\n';
  } else {
    ctx.out() << "deleted all metadata of " << o.node_id << '\n';
  }
  return 0;
}

}  // namespace

void add_tags_metadata(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<TagsMetadataOptions>();

  auto* node = app.add_subcommand("node", "Tags and metadata of a node");
  node->require_subcommand(1);
  auto* add_tags = node->add_subcommand("add-tags", "Add tags");
  add_tags->add_option("nodeid", o->node_id, "Node id")->required();
  add_tags->add_option("--tags", o->tags, "Tags key:value,key:value")->required();
  ctx.on(*add_tags, [&ctx, o] { return tags(ctx, *o, false); });
  auto* remove_tags = node->add_subcommand("remove-tags", "Remove tags");
  remove_tags->add_option("nodeid", o->node_id, "Node id")->required();
  remove_tags->add_option("--tags", o->tags, "Tags key:value,key:value")->required();
  ctx.on(*remove_tags, [&ctx, o] { return tags(ctx, *o, true); });
  auto* set = node->add_subcommand("set-metadata", "Merge a JSON object into metadata");
  set->add_option("nodeid", o->node_id, "Node id")->required();
  set->add_option("--data", o->data, "Metadata as a JSON object")->required();
  ctx.on(*set, [&ctx, o] { return set_metadata(ctx, *o); });
  auto* remove = node->add_subcommand("delete-metadata", "Delete metadata");
  remove->add_option("nodeid", o->node_id, "Node id")->required();
  remove->add_option("--key", o->key, "Only this key (all metadata when left out)");
  ctx.on(*remove, [&ctx, o] { return delete_metadata(ctx, *o); });
}

}  // namespace stratus::cli::detail

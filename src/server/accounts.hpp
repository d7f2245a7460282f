#pragma once
/// @file
/// Pieces of the composition root shared by `stratusd` (serving) and its admin
/// subcommands (`stratusd user add`): opening the database, the token key, the
/// account options.

#include <filesystem>
#include <memory>
#include <string>

#include "config/config.hpp"
#include "core/error.hpp"
#include "service/account_service.hpp"

namespace stratus::storage::sql {
class Database;
}

namespace stratus::server {

/// Opens the database pool (database.pool_threads + 1 connections) and applies
/// migrations: PostgreSQL at database.url when it is set, else SQLite at
/// database.path or <data_dir>/stratus.db. Errors: errc::invalid_argument for an
/// unreadable database.password_file; the drivers' errors otherwise.
Result<std::shared_ptr<storage::sql::Database>> open_database_pool(
    const config::Config& config, const std::filesystem::path& data_dir);

/// The PostgreSQL password from database.password_file (its first line; "" when
/// the key is unset). Errors: errc::invalid_argument for an unreadable file.
Result<std::string> database_password(const config::Config& config);

/// The JWT signing key in <data_dir>/auth/token.key (64 hex characters, 0600),
/// created on first use. Errors: errc::invalid_argument for a damaged key file
/// (never silently replaced: that would log every user out).
Result<std::string> load_or_create_token_key(const std::filesystem::path& data_dir);

/// AccountOptions from the `accounts` section.
service::AccountOptions account_options(const config::Config& config);

/// `stratusd user add --admin EMAIL`: creates a verified super-admin in the
/// data dir's database. Safe while stratusd runs (SQLite WAL).
Result<service::UserInfo> add_super_admin(const config::Config& config, std::string_view user_name,
                                          std::string_view password);

}  // namespace stratus::server

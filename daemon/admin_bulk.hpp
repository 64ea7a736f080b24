// The admin socket's bulk commands: `send-bulk` (one campaign or flow text to many recipients)
// and `consent-import` (many consent changes). Both are uploads (admin_server.hpp Upload): the
// items follow the command line one a line up to a "." line; they are checked by the single
// commands' rules, queued to the engine in groups (one transaction each), and answered with
// progress lines and one summary.
#pragma once

#include <boost/asio/thread_pool.hpp>
#include <cstddef>

#include "daemon/admin_commands.hpp"
#include "daemon/admin_server.hpp"

namespace twoway::daemon {

/// Items per engine transaction: a few thousand keep the commit's fsync a small share of the
/// work without holding the writer long (about 20 ms for 2,048 sends on a 2-core machine).
inline constexpr std::size_t kBulkGroup = 2048;
/// Groups handed to the engine and not yet committed, per upload: one commits while the next
/// is read and normalised.
inline constexpr std::size_t kBulkGroupsInFlight = 2;
/// Numbers listed per refusal reason in the summary.
inline constexpr std::size_t kBulkSamples = 5;

/// Registers `send-bulk` and `consent-import` (role admin). Normalising and tallying run on
/// `pool`; the engine's writer commits the groups.
void register_bulk_commands(AdminServer& server, AdminContext& ctx, boost::asio::thread_pool& pool);

}  // namespace twoway::daemon
